/// Errors of the native engine, each naming the file, tensor or value at fault.
public enum EngineError: Error, Equatable, CustomStringConvertible {
    case unreadableFile(path: String, reason: String)
    case malformedFile(path: String, reason: String)
    case missingTensor(name: String, file: String)
    case unexpectedShape(name: String, expected: [Int], found: [Int])
    case unsupportedType(name: String, type: String)
    case unknownTensors(names: [String], file: String)
    case invalidArgument(String)
    case invalidTokenizer(path: String, reason: String)

    public var description: String {
        switch self {
        case .unreadableFile(let path, let reason):
            return "cannot read weights file '\(path)': \(reason)"
        case .malformedFile(let path, let reason):
            return "'\(path)' is not a valid weights file: \(reason)"
        case .missingTensor(let name, let file):
            return "tensor '\(name)' is missing from '\(file)'; check that the file holds the expected model"
        case .unexpectedShape(let name, let expected, let found):
            return "tensor '\(name)' has shape \(found), expected \(expected); the file is for another model size"
        case .unsupportedType(let name, let type):
            return "tensor '\(name)' is stored as \(type), which the engine cannot read; convert the file to F16, BF16, F8_E4M3 or a supported GGUF type"
        case .unknownTensors(let names, let file):
            let shown = names.prefix(5).joined(separator: ", ")
            let more = names.count > 5 ? " and \(names.count - 5) more" : ""
            return "'\(file)' holds tensors the engine does not know: \(shown)\(more); is it the right model?"
        case .invalidArgument(let message):
            return message
        case .invalidTokenizer(let path, let reason):
            return "'\(path)' is not a usable tokenizer file: \(reason)"
        }
    }
}
