/// Opening a weights file whose format is known only from its content.
public enum WeightFiles {
    /// The `ComfyUI` single-file checkpoint prefix that `open(path:)` strips.
    public static let diffusionModelPrefix = "model.diffusion_model."

    /// Opens a safetensors or GGUF file, chosen by its first bytes rather than its extension.
    ///
    /// When every tensor name starts with `model.diffusion_model.`, the store returned strips that
    /// prefix. Throws `EngineError.malformedFile` naming the path and the bytes found when the file
    /// is in neither format.
    public static func open(path: String) throws -> any WeightStore {
        let store = try openUnprefixed(path: path)
        let names = store.tensorNames
        guard !names.isEmpty, names.allSatisfy({ $0.hasPrefix(diffusionModelPrefix) }) else { return store }
        return PrefixedWeightStore(base: store, prefix: diffusionModelPrefix)
    }

    private static func openUnprefixed(path: String) throws -> any WeightStore {
        let head = try leadingBytes(path: path, count: 9)
        if head.starts(with: GGUFFile.magic) { return try GGUFFile(path: path) }
        if looksLikeSafeTensors(head) { return try SafeTensorsFile(path: path) }
        throw EngineError.malformedFile(
            path: path,
            reason:
                "\(describe(head)), but a safetensors file starts with an 8-byte header length and '{', and a GGUF file with 'GGUF'"
        )
    }

    /// Reads the first `count` bytes of the file, fewer when it is shorter.
    private static func leadingBytes(path: String, count: Int) throws -> [UInt8] {
        let file = try MappedFile(path: path)
        return try file.withBytes(0..<min(count, file.count)) { Array($0) }
    }

    /// Checks whether `head` is a little-endian header length followed by the `{` of a JSON object.
    private static func looksLikeSafeTensors(_ head: [UInt8]) -> Bool {
        guard head.count == 9, head[8] == UInt8(ascii: "{") else { return false }
        let length = head[0..<8].reversed().reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
        return length >= 2
    }

    private static func describe(_ head: [UInt8]) -> String {
        guard !head.isEmpty else { return "the file is empty" }
        let hex = head.map { byte in
            let digits = String(byte, radix: 16)
            return digits.count == 1 ? "0" + digits : digits
        }
        return "it starts with bytes \(hex.joined(separator: " "))"
    }
}
