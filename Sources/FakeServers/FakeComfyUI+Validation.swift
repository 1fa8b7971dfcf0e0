import Backends
import Foundation
import Synchronization

extension FakeComfyUI {
    /// The node classes the fake accepts; any other `class_type` gets `invalid_prompt`.
    static let nodeClasses: Set<String> = [
        "UNETLoader", "DualCLIPLoader", "VAELoader", "CLIPTextEncode", "LoadImage", "LoadImageMask",
        "FluxKontextImageScale", "VAEEncode", "ReferenceLatent", "FluxGuidance", "ConditioningZeroOut", "KSampler",
        "EmptySD3LatentImage", "EmptyLatentImage", "VAEDecode", "SaveImage", "PreviewImage", "ImageStitch",
        "ImageScale",
        "UnetLoaderGGUF", "DualCLIPLoaderGGUF", "InpaintCropImproved", "InpaintStitchImproved", "SetLatentNoiseMask",
    ]
    static let outputClasses: Set<String> = ["SaveImage", "PreviewImage"]
    static let samplers = ["euler", "euler_ancestral", "heun", "dpmpp_2m", "dpmpp_2m_sde", "uni_pc"]
    static let schedulers = [
        "simple", "sgm_uniform", "karras", "exponential", "ddim_uniform", "beta", "normal", "linear_quadratic",
        "kl_optimal",
    ]

    func postPrompt(_ request: HTTPServerRequest) -> HTTPServerReply {
        // The real handler does not catch malformed JSON, so aiohttp returns 500.
        guard let body = JSONValue.parse(request.body) else { return text(500, "500 Internal Server Error") }
        guard let graph = body["prompt"]?.objectValue else {
            return json(400, topLevelError("no_prompt", "No prompt provided", ""))
        }
        let promptID = body["prompt_id"]?.stringValue ?? UUID().uuidString.lowercased()
        guard UUID(uuidString: promptID)?.uuidString.lowercased() == promptID else {
            return json(
                400,
                topLevelError(
                    "invalid_prompt_id",
                    "Invalid prompt_id: must be a UUID in canonical lowercase form",
                    promptID
                )
            )
        }
        for id in graph.keys.sorted() {
            let classType = graph[id]?["class_type"]?.stringValue
            guard let classType, Self.nodeClasses.contains(classType) else {
                let message =
                    classType.map { "Cannot execute because node \($0) does not exist." }
                    ?? "Cannot execute because a node is missing the class_type property."
                return json(400, topLevelError("invalid_prompt", message, "Node ID '#\(id)'"))
            }
        }
        guard graph.values.contains(where: { Self.outputClasses.contains($0["class_type"]?.stringValue ?? "") }) else {
            return json(400, topLevelError("prompt_no_outputs", "Prompt has no outputs", ""))
        }

        // As in ComfyUI, a prompt is queued when at least one output validates. The failing
        // outputs are dropped and listed in `node_errors` of the 200 response.
        let nodeErrors = validate(graph)
        let failedOutputs = Set(
            nodeErrors.values.flatMap { ($0["dependent_outputs"]?.arrayValue ?? []).compactMap(\.stringValue) }
        )
        let outputsToExecute = outputIDs(graph).filter { !failedOutputs.contains($0) }
        if outputsToExecute.isEmpty {
            var response = topLevelError("prompt_outputs_failed_validation", "Prompt outputs failed validation", "")
            if case .object(var fields) = response {
                fields["node_errors"] = .object(nodeErrors)
                response = .object(fields)
            }
            return json(400, response)
        }

        let number = state.withLock { state in
            state.counter += 1
            state.pending.append(
                QueuedPrompt(
                    number: state.counter,
                    promptID: promptID,
                    graph: .object(graph),
                    clientID: body["client_id"]?.stringValue,
                    outputsToExecute: outputsToExecute
                )
            )
            state.receivedGraphs.append(.object(graph))
            state.receivedClientIDs.append(body["client_id"]?.stringValue)
            state.maximumQueueLength = max(state.maximumQueueLength, state.pending.count + state.running.count)
            return state.counter
        }
        workAvailable.signal()
        return json(
            200,
            .object([
                "prompt_id": .string(promptID), "number": .integer(Int64(number)), "node_errors": .object(nodeErrors),
            ])
        )
    }

    private func topLevelError(_ type: String, _ message: String, _ details: String) -> JSONValue {
        .object([
            "error": .object([
                "type": .string(type), "message": .string(message), "details": .string(details),
                "extra_info": .object([:]),
            ]),
            "node_errors": .object([:]),
        ])
    }

    /// Checks the inputs the fake understands; returns `node_errors` in ComfyUI's shape.
    private func validate(_ graph: [String: JSONValue]) -> [String: JSONValue] {
        let settings = state.withLock { $0.settings }
        var errors: [String: JSONValue] = [:]
        for (id, node) in graph {
            let classType = node["class_type"]?.stringValue ?? ""
            let inputs = node["inputs"]?.objectValue ?? [:]
            var reasons: [JSONValue] = []
            func check(_ input: String, in list: [String]) {
                guard let value = inputs[input]?.stringValue else {
                    reasons.append(reason("required_input_missing", "Required input is missing", input, input))
                    return
                }
                if !list.contains(value) {
                    reasons.append(
                        reason("value_not_in_list", "Value not in list", "\(input): '\(value)' not in \(list)", input)
                    )
                }
            }
            switch classType {
            case "UNETLoader", "UnetLoaderGGUF": check("unet_name", in: settings.diffusionModels)
            case "DualCLIPLoader", "DualCLIPLoaderGGUF":
                check("clip_name1", in: settings.textEncoders)
                check("clip_name2", in: settings.textEncoders)
            case "VAELoader": check("vae_name", in: settings.vaes)
            case "KSampler":
                check("sampler_name", in: Self.samplers)
                check("scheduler", in: Self.schedulers)
            case "LoadImage", "LoadImageMask":
                let name = inputs["image"]?.stringValue ?? ""
                if state.withLock({ $0.inputs[name] == nil }) {
                    reasons.append(
                        reason(
                            "custom_validation_failed",
                            "Custom validation failed for node",
                            "image - Invalid image file: \(name)",
                            "image"
                        )
                    )
                }
            default: break
            }
            for (input, value) in inputs {
                guard let link = value.arrayValue, link.count == 2, let source = link[0].stringValue else { continue }
                if graph[source] == nil {
                    reasons.append(
                        reason(
                            "bad_linked_input",
                            "Bad linked input, must be a length-2 list of [node_id, slot_index]",
                            "\(input), \(source)",
                            input
                        )
                    )
                }
            }
            // ComfyUI validates only nodes that some output reads from.
            let dependentOutputs = outputIDs(graph).filter { upstream(of: $0, in: graph).contains(id) }
            if !reasons.isEmpty && !dependentOutputs.isEmpty {
                errors[id] = .object([
                    "errors": .array(reasons),
                    "dependent_outputs": .array(dependentOutputs.map { .string($0) }),
                    "class_type": .string(classType),
                ])
            }
        }
        return errors
    }

    private func outputIDs(_ graph: [String: JSONValue]) -> [String] {
        graph.keys.sorted().filter { Self.outputClasses.contains(graph[$0]?["class_type"]?.stringValue ?? "") }
    }

    /// Returns `node` and every node it reads from through links.
    func upstream(of node: String, in graph: [String: JSONValue]) -> Set<String> {
        var seen: Set<String> = []
        var stack = [node]
        while let current = stack.popLast() {
            guard seen.insert(current).inserted else { continue }
            for value in (graph[current]?["inputs"]?.objectValue ?? [:]).values {
                if let link = value.arrayValue, link.count == 2, let source = link[0].stringValue {
                    stack.append(source)
                }
            }
        }
        return seen
    }

    private func reason(_ type: String, _ message: String, _ details: String, _ input: String) -> JSONValue {
        .object([
            "type": .string(type), "message": .string(message), "details": .string(details),
            "extra_info": .object(["input_name": .string(input)]),
        ])
    }
}
