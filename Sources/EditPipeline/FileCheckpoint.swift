public import Backends
import Foundation

/// A `BackendCheckpoint` stored as a JSON file in the job's claim folder.
public struct FileCheckpoint: BackendCheckpoint {
    public let path: String

    public init(path: String) {
        self.path = path
    }

    public func load() -> [String: String] {
        guard let data = FileManager.default.contents(atPath: path),
            let values = try? JSONDecoder().decode([String: String].self, from: data)
        else { return [:] }
        return values
    }

    public func save(_ values: [String: String]) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        try FileOperations.writeDurably(try encoder.encode(values), to: path)
    }
}
