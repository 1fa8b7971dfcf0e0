/// The command line of `kontextd-bench imaging [--repeat N] [--quality Q] PHOTO...`.
struct BenchmarkOptions {
    var repeats = 5
    var quality = 90
    var photos: [String] = []

    static let usage = "usage: kontextd-bench imaging [--repeat N] [--quality Q] PHOTO..."

    init<Arguments: Collection<String>>(_ arguments: Arguments) throws(BenchmarkError) {
        var remaining = Array(arguments)
        guard remaining.first == "imaging" else {
            throw .usage("expected the subcommand 'imaging', got '\(remaining.first ?? "")'")
        }
        remaining.removeFirst()
        while let argument = remaining.first {
            remaining.removeFirst()
            switch argument {
            case "--repeat":
                repeats = try Self.integer(after: argument, from: &remaining, range: 1...1000)
            case "--quality":
                quality = try Self.integer(after: argument, from: &remaining, range: 1...100)
            default:
                photos.append(argument)
            }
        }
        guard !photos.isEmpty else {
            throw .usage("missing PHOTO; pass one or more JPEG, PNG, WebP or HEIF files")
        }
    }

    /// Removes and parses the value of `option`, which must lie in `range`.
    private static func integer(
        after option: String,
        from remaining: inout [String],
        range: ClosedRange<Int>
    ) throws(BenchmarkError) -> Int {
        guard let text = remaining.first else {
            throw .usage("missing value after \(option)")
        }
        remaining.removeFirst()
        guard let value = Int(text), range.contains(value) else {
            throw .usage("invalid \(option) '\(text)'; use a whole number from \(range.lowerBound) to \(range.upperBound)")
        }
        return value
    }
}

/// Errors of `kontextd-bench`.
enum BenchmarkError: Error, CustomStringConvertible {
    case usage(String)
    case unreadable(path: String)
    case decoding(path: String, reason: String)
    case encoding(path: String, reason: String)

    var description: String {
        switch self {
        case .usage(let message):
            "\(message)\n\(BenchmarkOptions.usage)"
        case .unreadable(let path):
            "cannot read '\(path)'; check that the file exists and is readable"
        case .decoding(let path, let reason):
            "decoding '\(path)' failed: \(reason)"
        case .encoding(let path, let reason):
            "encoding the scaled '\(path)' failed: \(reason)"
        }
    }
}
