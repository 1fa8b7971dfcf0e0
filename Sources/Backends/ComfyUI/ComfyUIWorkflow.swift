/// One input of one node in an API-format graph, such as node `"6"`, input `"text"`.
public struct ComfyUINodeInput: Sendable, Equatable, CustomStringConvertible {
    public var node: String
    public var input: String

    public init(node: String, input: String) {
        self.node = node
        self.input = input
    }

    public var description: String { "\(node).\(input)" }
}

/// The node inputs that receive the job's values in a user workflow, and the output node.
public struct ComfyUIBindings: Sendable, Equatable {
    /// Receives the uploaded image's name, normally the `image` input of a `LoadImage` node.
    public var image: ComfyUINodeInput
    /// Receives the uploaded mask's name (a `LoadImageMask` node, where white means edit).
    public var mask: ComfyUINodeInput?
    public var prompt: ComfyUINodeInput?
    public var seed: ComfyUINodeInput?
    public var steps: ComfyUINodeInput?
    public var guidance: ComfyUINodeInput?
    public var width: ComfyUINodeInput?
    public var height: ComfyUINodeInput?
    /// The node whose images are the result, normally a `SaveImage` node.
    public var outputNode: String
    /// Receives the job's unique file-name prefix, which defaults to the output node's `filename_prefix`.
    public var filenamePrefix: ComfyUINodeInput?

    public init(
        image: ComfyUINodeInput,
        mask: ComfyUINodeInput? = nil,
        prompt: ComfyUINodeInput? = nil,
        seed: ComfyUINodeInput? = nil,
        steps: ComfyUINodeInput? = nil,
        guidance: ComfyUINodeInput? = nil,
        width: ComfyUINodeInput? = nil,
        height: ComfyUINodeInput? = nil,
        outputNode: String,
        filenamePrefix: ComfyUINodeInput? = nil
    ) {
        self.image = image
        self.mask = mask
        self.prompt = prompt
        self.seed = seed
        self.steps = steps
        self.guidance = guidance
        self.width = width
        self.height = height
        self.outputNode = outputNode
        self.filenamePrefix = filenamePrefix
    }

    /// Every bound input with the name of the job value it receives.
    var namedInputs: [(name: String, input: ComfyUINodeInput)] {
        let optional: [(String, ComfyUINodeInput?)] = [
            ("mask", mask), ("prompt", prompt), ("seed", seed), ("steps", steps),
            ("guidance", guidance), ("width", width), ("height", height), ("filename_prefix", filenamePrefix),
        ]
        return [("image", image)] + optional.compactMap { name, input in input.map { (name, $0) } }
    }
}

/// A problem in a user workflow or its bindings.
public enum ComfyUIWorkflowError: Error, Equatable, CustomStringConvertible {
    case notJSON
    case notAPIFormat
    case nodeWithoutClassType(node: String)
    case boundNodeNotFound(binding: String, node: String)
    case boundInputNotFound(binding: String, node: String, classType: String, input: String)
    case outputNodeNotFound(node: String)

    public var description: String {
        switch self {
        case .notJSON:
            "the workflow file is not valid JSON"
        case .notAPIFormat:
            "the workflow is in ComfyUI's UI format; export it with 'Export (API)' (or enable dev mode and use 'Save (API Format)')"
        case .nodeWithoutClassType(let node):
            "workflow node '\(node)' has no 'class_type'; export the workflow in API format"
        case .boundNodeNotFound(let binding, let node):
            "binding '\(binding)' names node '\(node)', which the workflow does not contain"
        case .boundInputNotFound(let binding, let node, let classType, let input):
            "binding '\(binding)' names input '\(input)' of node '\(node)' (\(classType)), which has no such input"
        case .outputNodeNotFound(let node):
            "the output node '\(node)' is not in the workflow"
        }
    }
}

/// A workflow exported from ComfyUI in API format, plus the bindings that fill it per job.
public struct ComfyUIWorkflow: Sendable, Equatable {
    public var graph: JSONValue
    public var bindings: ComfyUIBindings

    /// Wraps a parsed graph without checking it. Call `validate()` to list its problems.
    public init(graph: JSONValue, bindings: ComfyUIBindings) {
        self.graph = graph
        self.bindings = bindings
    }

    /// Parses an API-format JSON export and validates it together with `bindings`.
    ///
    /// Throws the first problem that `validate()` finds.
    public init(json: [UInt8], bindings: ComfyUIBindings) throws(ComfyUIWorkflowError) {
        guard let graph = JSONValue.parse(json) else { throw .notJSON }
        self.init(graph: graph, bindings: bindings)
        if let problem = validate().first { throw problem }
    }

    /// Lists every problem, for `kontextd check`: a graph not in API format, a node without
    /// `class_type`, and bound nodes or inputs that do not exist.
    public func validate() -> [ComfyUIWorkflowError] {
        guard let nodes = graph.objectValue, !nodes.isEmpty else { return [.notAPIFormat] }
        // The UI format has top-level "nodes" and "links" arrays instead of node ids.
        if graph["nodes"]?.arrayValue != nil || graph["links"]?.arrayValue != nil { return [.notAPIFormat] }

        var problems: [ComfyUIWorkflowError] = []
        for id in nodes.keys.sorted() where nodes[id]?["class_type"]?.stringValue == nil {
            problems.append(.nodeWithoutClassType(node: id))
        }
        for (name, bound) in bindings.namedInputs {
            guard let node = nodes[bound.node] else {
                problems.append(.boundNodeNotFound(binding: name, node: bound.node))
                continue
            }
            if node["inputs"]?[bound.input] == nil {
                let classType = node["class_type"]?.stringValue ?? "unknown class"
                problems.append(
                    .boundInputNotFound(binding: name, node: bound.node, classType: classType, input: bound.input)
                )
            }
        }
        if nodes[bindings.outputNode] == nil {
            problems.append(.outputNodeNotFound(node: bindings.outputNode))
        }
        return problems
    }

    /// Returns the graph with the job's values written into the bound inputs.
    func filled(with values: ComfyUIJobValues) -> JSONValue {
        var nodes = graph.objectValue ?? [:]
        func set(_ bound: ComfyUINodeInput?, _ value: JSONValue) {
            guard let bound, case .object(var node)? = nodes[bound.node], case .object(var inputs)? = node["inputs"]
            else { return }
            inputs[bound.input] = value
            node["inputs"] = .object(inputs)
            nodes[bound.node] = .object(node)
        }
        set(bindings.image, .string(values.imagePath))
        if let maskPath = values.maskPath { set(bindings.mask, .string(maskPath)) }
        set(bindings.prompt, .string(values.prompt))
        set(bindings.seed, .number(values.seed))
        set(bindings.steps, .integer(Int64(values.steps)))
        set(bindings.guidance, .double(values.guidance))
        set(bindings.width, .integer(Int64(values.width)))
        set(bindings.height, .integer(Int64(values.height)))
        set(
            bindings.filenamePrefix ?? ComfyUINodeInput(node: bindings.outputNode, input: "filename_prefix"),
            .string(values.filenamePrefix)
        )
        return .object(nodes)
    }
}
