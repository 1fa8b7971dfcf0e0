import Backends
import Foundation
import Imaging
import Synchronization

extension FakeComfyUI {
    func workerLoop(generation: Int) {
        while isCurrent(generation) {
            guard workAvailable.wait(timeout: .now() + .milliseconds(200)) == .success else { continue }
            let prompt: QueuedPrompt? = state.withLock { state in
                guard state.generation == generation, !state.pending.isEmpty else { return nil }
                let prompt = state.pending.removeFirst()
                state.running[prompt.promptID] = prompt
                return prompt
            }
            guard let prompt else { continue }
            run(prompt, generation: generation)
            // Another prompt may have been queued while this one ran, so look again without waiting.
            if state.withLock({ !$0.pending.isEmpty }) { workAvailable.signal() }
        }
    }

    private func isCurrent(_ generation: Int) -> Bool {
        state.withLock { $0.generation == generation }
    }

    private func run(_ prompt: QueuedPrompt, generation: Int) {
        let started = ContinuousClock.now
        let id = prompt.promptID
        sendEvent(
            "execution_start",
            .object(["prompt_id": .string(id), "timestamp": timestamp()]),
            to: prompt.clientID
        )
        sendEvent(
            "execution_cached",
            .object(["nodes": .array([]), "prompt_id": .string(id), "timestamp": timestamp()]),
            to: prompt.clientID
        )

        var messages: [JSONValue] = [event("execution_start", ["prompt_id": .string(id), "timestamp": timestamp()])]
        var outputs: [String: JSONValue] = [:]
        var failure: (type: String, data: JSONValue)?
        if let scripted = scriptedError(for: prompt.graph) {
            failure = ("execution_error", executionErrorData(scripted, prompt: prompt))
        } else {
            do {
                outputs = try saveOutputs(prompt.graph, only: prompt.outputsToExecute)
            } catch {
                failure = (
                    "execution_error",
                    executionErrorData(
                        ScriptedExecutionError(
                            trigger: "",
                            classType: "LoadImage",
                            exceptionType: "PIL.UnidentifiedImageError",
                            message: "\(error)"
                        ),
                        prompt: prompt
                    )
                )
            }
        }

        // The prompt occupies the worker for `processingTime` in all, the image work above included.
        let processingTime = state.withLock { $0.settings.processingTime }
        let remaining =
            started.duration(to: .now) < processingTime ? processingTime - started.duration(to: .now) : .zero
        if sleepUnlessInterrupted(remaining, promptID: id) {
            outputs = [:]
            failure = (
                "execution_interrupted",
                .object([
                    "prompt_id": .string(id), "node_id": .string(samplerID(prompt.graph)),
                    "node_type": .string("KSampler"),
                    "executed": .array([]), "timestamp": timestamp(),
                ])
            )
        }
        // A restart (stop) abandons the running prompt without any event or history entry.
        guard isCurrent(generation) else { return }
        finish(
            prompt,
            messages: &messages,
            outputs: outputs,
            failure: failure,
            started: started,
            generation: generation
        )
    }

    private func finish(
        _ prompt: QueuedPrompt,
        messages: inout [JSONValue],
        outputs: [String: JSONValue],
        failure: (type: String, data: JSONValue)?,
        started: ContinuousClock.Instant,
        generation: Int
    ) {
        let id = prompt.promptID
        for (node, output) in outputs.sorted(by: { $0.key < $1.key }) {
            sendEvent(
                "executed",
                .object([
                    "node": .string(node), "display_node": .string(node), "output": output, "prompt_id": .string(id),
                ]),
                to: prompt.clientID
            )
        }
        if let failure {
            messages.append(event(failure.type, failure.data))
            sendEvent(failure.type, failure.data, to: prompt.clientID)
        } else {
            let data: JSONValue = .object(["prompt_id": .string(id), "timestamp": timestamp()])
            messages.append(event("execution_success", data))
            sendEvent("execution_success", data, to: prompt.clientID)
        }

        // The real server writes history only after execution_success has gone out (the race).
        let delay = state.withLock { $0.settings.historyDelay }
        if delay > .zero { Thread.sleep(forTimeInterval: seconds(delay)) }
        let entry: JSONValue = .object([
            "prompt": .array([.integer(Int64(prompt.number)), .string(id), prompt.graph, .object([:]), .array([])]),
            "outputs": .object(outputs),
            "status": .object([
                "status_str": .string(failure == nil ? "success" : "error"), "completed": .bool(failure == nil),
                "messages": .array(messages),
            ]),
            "meta": .object([:]),
        ])
        let recorded = state.withLock { state in
            guard state.generation == generation else { return false }
            state.running[id] = nil
            state.interrupted.remove(id)
            state.history[id] = entry
            state.jobsRun += 1
            state.busyTime += started.duration(to: .now)
            return true
        }
        guard recorded else { return }
        sendEvent(
            "executing",
            .object(["node": .null, "display_node": .null, "prompt_id": .string(id)]),
            to: prompt.clientID
        )
    }

    /// Sleeps for `duration` in small steps, and returns true when `/interrupt` targeted the prompt.
    private func sleepUnlessInterrupted(_ duration: Duration, promptID: String) -> Bool {
        let deadline = ContinuousClock.now + duration
        while ContinuousClock.now < deadline {
            if state.withLock({ $0.interrupted.contains(promptID) }) { return true }
            let step = min(ContinuousClock.now.duration(to: deadline), .milliseconds(5))
            Thread.sleep(forTimeInterval: seconds(step))
        }
        return state.withLock { $0.interrupted.contains(promptID) }
    }

    private func scriptedError(for graph: JSONValue) -> ScriptedExecutionError? {
        let texts = (graph.objectValue ?? [:]).values.compactMap { $0["inputs"]?["text"]?.stringValue }
        return state.withLock { state in
            state.executionErrors.first { scripted in texts.contains { $0.contains(scripted.trigger) } }
        }
    }

    private func executionErrorData(_ scripted: ScriptedExecutionError, prompt: QueuedPrompt) -> JSONValue {
        let nodes = prompt.graph.objectValue ?? [:]
        let node = nodes.keys.sorted().first { nodes[$0]?["class_type"]?.stringValue == scripted.classType } ?? "0"
        return .object([
            "prompt_id": .string(prompt.promptID), "node_id": .string(node), "node_type": .string(scripted.classType),
            "executed": .array([]), "exception_message": .string(scripted.message + "\n"),
            "exception_type": .string(scripted.exceptionType),
            "traceback": .array([.string("Traceback (most recent call last):\n")]),
            "current_inputs": .object([:]), "current_outputs": .array([]), "timestamp": timestamp(),
        ])
    }

    private func samplerID(_ graph: JSONValue) -> String {
        let nodes = graph.objectValue ?? [:]
        return nodes.keys.sorted().first { nodes[$0]?["class_type"]?.stringValue == "KSampler" } ?? "0"
    }

    private func event(_ type: String, _ data: JSONValue) -> JSONValue {
        .array([.string(type), data])
    }

    private func event(_ type: String, _ data: [String: JSONValue]) -> JSONValue {
        event(type, .object(data))
    }

    func timestamp() -> JSONValue {
        .integer(Int64(Date().timeIntervalSince1970 * 1000))
    }

    func seconds(_ duration: Duration) -> Double {
        Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
    }
}
