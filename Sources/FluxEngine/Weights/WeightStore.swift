/// The description of one tensor that a weights file gives before its data is read.
public struct TensorInfo: Sendable, Equatable {
    public var name: String
    /// Row-major shape, as PyTorch and safetensors write it (GGUF dims are reversed on load).
    public var shape: [Int]
    /// The stored element type, as the file names it (`BF16`, `F8_E4M3`, `Q4_K`, ...).
    public var storedType: String

    public init(name: String, shape: [Int], storedType: String) {
        self.name = name
        self.shape = shape
        self.storedType = storedType
    }

    public var elementCount: Int { shape.reduce(1, *) }
}

/// A source of named tensors, converted to float32 one at a time on request.
///
/// Stores keep the file memory-mapped and convert only the tensor asked for, so a model larger than
/// memory in float32 can run layer by layer.
public protocol WeightStore: Sendable {
    /// The source of the tensors (a file path), for error messages.
    var origin: String { get }
    /// Every tensor name in the store.
    var tensorNames: [String] { get }
    func info(_ name: String) -> TensorInfo?
    /// Loads the tensor converted to float32, or throws `EngineError.missingTensor` when it is absent.
    func load(_ name: String) throws -> Tensor
    /// Rows `indices` of the tensor viewed as a matrix over its last dimension, as
    /// [indices.count, width], for embedding lookups. The default converts the whole tensor once;
    /// stores that can convert single rows override it.
    func gatherRows(_ name: String, indices: [Int]) throws -> Tensor
}

extension WeightStore {
    /// Loads `name` and checks its shape.
    public func load(_ name: String, shape: [Int]) throws -> Tensor {
        let tensor = try load(name)
        guard tensor.shape == shape else {
            throw EngineError.unexpectedShape(name: name, expected: shape, found: tensor.shape)
        }
        return tensor
    }

    public func gatherRows(_ name: String, indices: [Int]) throws -> Tensor {
        let tensor = try load(name)
        try checkRows(indices, of: name, rowCount: tensor.rowCount)
        let width = tensor.rowLength
        var out: [Float] = []
        out.reserveCapacity(indices.count * width)
        for index in indices { out.append(contentsOf: tensor.storage[(index * width)..<((index + 1) * width)]) }
        return Tensor(shape: [indices.count, width], storage: out)
    }

    /// Throws `EngineError.invalidArgument` when an index is not within `0..<rowCount`.
    func checkRows(_ indices: [Int], of name: String, rowCount: Int) throws {
        if let bad = indices.first(where: { $0 < 0 || $0 >= rowCount }) {
            throw EngineError.invalidArgument("row \(bad) of tensor '\(name)' is outside its \(rowCount) rows")
        }
    }

    /// Loads `name` if the store has it, nil otherwise.
    public func loadIfPresent(_ name: String) throws -> Tensor? {
        info(name) == nil ? nil : try load(name)
    }

    public func contains(_ name: String) -> Bool { info(name) != nil }
}

/// A view of another store with a name prefix stripped, e.g. `model.diffusion_model.` in some
/// single-file checkpoints.
public struct PrefixedWeightStore: WeightStore {
    public let base: any WeightStore
    public let prefix: String

    public init(base: any WeightStore, prefix: String) {
        self.base = base
        self.prefix = prefix
    }

    public var origin: String { base.origin }

    public var tensorNames: [String] {
        base.tensorNames.compactMap { $0.hasPrefix(prefix) ? String($0.dropFirst(prefix.count)) : nil }
    }

    public func info(_ name: String) -> TensorInfo? {
        guard var info = base.info(prefix + name) else { return nil }
        info.name = name
        return info
    }

    public func load(_ name: String) throws -> Tensor {
        guard base.info(prefix + name) != nil else {
            throw EngineError.missingTensor(name: name, file: origin)
        }
        return try base.load(prefix + name)
    }

    public func gatherRows(_ name: String, indices: [Int]) throws -> Tensor {
        guard base.info(prefix + name) != nil else {
            throw EngineError.missingTensor(name: name, file: origin)
        }
        return try base.gatherRows(prefix + name, indices: indices)
    }
}

/// Tensors held in memory, for tests and for weights computed at load time.
public struct MemoryWeightStore: WeightStore {
    public var tensors: [String: Tensor]
    public var origin: String

    public init(_ tensors: [String: Tensor], origin: String = "memory") {
        self.tensors = tensors
        self.origin = origin
    }

    public var tensorNames: [String] { tensors.keys.sorted() }

    public func info(_ name: String) -> TensorInfo? {
        tensors[name].map { TensorInfo(name: name, shape: $0.shape, storedType: "F32") }
    }

    public func load(_ name: String) throws -> Tensor {
        guard let tensor = tensors[name] else { throw EngineError.missingTensor(name: name, file: origin) }
        return tensor
    }
}
