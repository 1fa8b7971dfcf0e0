/// The command line of `kontextd-engine-bench`.
struct EngineBenchOptions {
    enum Command: String, CaseIterable {
        case gemmPeak = "gemm-peak"
        case transformer
        case vae
        case text
        case allocator
    }

    var command: Command
    /// Folder with the weights and `*-io.safetensors` files that `bench/engine/torch_engine.py` wrote.
    var directory = "."
    /// Transformer weights file (safetensors or GGUF); nil means `transformer.safetensors` in `directory`.
    var weights: String?
    var warmups = 1
    var repeats = 3
    var threads = 2
    /// `gemm-peak` times only N = K = 3072, for a slow kernel set.
    var quick = false
    /// Leaves glibc's allocator as it is instead of applying `EngineMemory.retainFreedMemory`.
    var defaultAllocator = false

    static let usage = """
        usage: kontextd-engine-bench gemm-peak|transformer|vae|text|allocator [--dir DIR] [--weights FILE]
                                     [--warmups N] [--repeats N] [--threads N] [--quick]
                                     [--default-allocator]
          --dir DIR      folder written by bench/engine/torch_engine.py (default .)
          --weights FILE transformer weights, safetensors or GGUF (default DIR/transformer.safetensors)
          --warmups N    untimed runs before the timed ones (default 1)
          --repeats N    timed runs; the median is reported (default 3)
          --threads N    threads for OpenBLAS and the engine's loops (default 2)
          --quick        gemm-peak: time only M=2048, N=K=3072 instead of N, K in {3072, 12288}
          --default-allocator
                         keep glibc's default allocator settings instead of kontextd's
        """

    init<Arguments: Collection<String>>(_ arguments: Arguments) throws(EngineBenchError) {
        var remaining = Array(arguments)
        guard let first = remaining.first, let command = Command(rawValue: first) else {
            let names = Command.allCases.map(\.rawValue).joined(separator: ", ")
            throw .usage("missing or unknown command '\(remaining.first ?? "")'; use one of \(names)")
        }
        self.command = command
        remaining.removeFirst()
        while let option = remaining.first {
            remaining.removeFirst()
            switch option {
            case "--dir": directory = try Self.text(after: option, from: &remaining)
            case "--weights": weights = try Self.text(after: option, from: &remaining)
            case "--warmups": warmups = try Self.integer(after: option, from: &remaining, range: 0...100)
            case "--repeats": repeats = try Self.integer(after: option, from: &remaining, range: 1...100)
            case "--threads": threads = try Self.integer(after: option, from: &remaining, range: 1...256)
            case "--quick": quick = true
            case "--default-allocator": defaultAllocator = true
            default: throw .usage("unknown option '\(option)'")
            }
        }
    }

    /// `name` inside the benchmark folder.
    func path(_ name: String) -> String {
        directory.hasSuffix("/") ? directory + name : directory + "/" + name
    }

    private static func text(after option: String, from remaining: inout [String]) throws(EngineBenchError) -> String {
        guard let value = remaining.first else { throw .usage("missing value after \(option)") }
        remaining.removeFirst()
        return value
    }

    private static func integer(
        after option: String,
        from remaining: inout [String],
        range: ClosedRange<Int>
    ) throws(EngineBenchError) -> Int {
        let value = try text(after: option, from: &remaining)
        guard let number = Int(value), range.contains(number) else {
            throw .usage("invalid \(option) '\(value)'; use a whole number from \(range.lowerBound) to \(range.upperBound)")
        }
        return number
    }
}

/// Errors of `kontextd-engine-bench`.
enum EngineBenchError: Error, CustomStringConvertible {
    case usage(String)
    case missingInput(name: String, file: String)

    var description: String {
        switch self {
        case .usage(let message):
            "\(message)\n\(EngineBenchOptions.usage)"
        case .missingInput(let name, let file):
            "tensor '\(name)' is missing from '\(file)'; re-run bench/engine/torch_engine.py for this stage"
        }
    }
}
