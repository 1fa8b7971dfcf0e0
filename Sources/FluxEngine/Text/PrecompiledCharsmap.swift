/// SentencePiece's precompiled normalisation rules (`nmt_nfkc` for T5): a darts-clone double-array
/// trie over UTF-8 byte strings whose values are offsets of replacement strings.
///
/// The blob is a little-endian UInt32 trie size in bytes, the trie's UInt32 units, then the
/// NUL-separated replacement strings.
struct PrecompiledCharsmap: Sendable {
    let units: [UInt32]
    let replacements: [UInt8]

    init?(_ blob: [UInt8]) {
        guard blob.count >= 4 else { return nil }
        let trieSize = Int(blob[0]) | Int(blob[1]) << 8 | Int(blob[2]) << 16 | Int(blob[3]) << 24
        guard trieSize % 4 == 0, trieSize > 0, 4 + trieSize <= blob.count else { return nil }
        var units = [UInt32](repeating: 0, count: trieSize / 4)
        for index in units.indices {
            let base = 4 + index * 4
            units[index] = UInt32(blob[base]) | UInt32(blob[base + 1]) << 8
                | UInt32(blob[base + 2]) << 16 | UInt32(blob[base + 3]) << 24
        }
        self.units = units
        replacements = Array(blob[(4 + trieSize)...])
    }

    /// Normalises `text` as the tokenizers library's `Precompiled` normaliser does. A grapheme
    /// cluster shorter than 6 UTF-8 bytes is looked up whole. Longer clusters, and clusters without
    /// a rule, are looked up scalar by scalar, and a scalar without a rule is kept.
    func normalize(_ text: String) -> String {
        var output: [UInt8] = []
        output.reserveCapacity(text.utf8.count)
        for grapheme in text {
            let bytes = Array(grapheme.utf8)
            if bytes.count < 6, let replacement = replacement(for: bytes) {
                output.append(contentsOf: replacement)
                continue
            }
            for scalar in grapheme.unicodeScalars {
                let scalarBytes = Array(String(scalar).utf8)
                output.append(contentsOf: replacement(for: scalarBytes) ?? scalarBytes[...])
            }
        }
        return String(decoding: output, as: UTF8.self)
    }

    /// Looks up the replacement of the shortest rule that is a prefix of `key`.
    ///
    /// The tokenizers library takes the first (shortest) prefix match without checking that it
    /// covers the whole key. This copies that, so results follow it where SentencePiece's
    /// longest match would differ.
    func replacement(for key: [UInt8]) -> ArraySlice<UInt8>? {
        guard let offset = firstPrefixValue(key), offset < replacements.count else { return nil }
        let end = replacements[offset...].firstIndex(of: 0) ?? replacements.count
        return replacements[offset..<end]
    }

    /// Finds the value of the shortest trie key that is a prefix of `key`.
    private func firstPrefixValue(_ key: [UInt8]) -> Int? {
        guard !units.isEmpty else { return nil }
        var position = Self.offset(units[0])
        for byte in key {
            if byte == 0 { return nil }
            position ^= Int(byte)
            guard position < units.count else { return nil }
            let unit = units[position]
            guard Self.label(unit) == UInt32(byte) else { return nil }
            position ^= Self.offset(unit)
            guard position < units.count else { return nil }
            if Self.hasLeaf(unit) { return Int(Self.value(units[position])) }
        }
        return nil
    }

    private static func hasLeaf(_ unit: UInt32) -> Bool { (unit >> 8) & 1 == 1 }
    private static func value(_ unit: UInt32) -> UInt32 { unit & ((1 << 31) - 1) }
    private static func label(_ unit: UInt32) -> UInt32 { unit & ((1 << 31) | 0xFF) }
    private static func offset(_ unit: UInt32) -> Int {
        Int((unit >> 10) << ((unit & (1 << 9)) >> 6))
    }
}
