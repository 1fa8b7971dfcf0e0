import Foundation

/// CLIP's byte-level BPE tokenizer, producing the same ids as the tokenizers-backed
/// `CLIPTokenizer` of transformers 5 with `padding="max_length", max_length=77, truncation=True`.
///
/// The pipeline is: NFC, every whitespace run collapsed to one space, lowercase, the CLIP
/// pre-tokenizer pattern, GPT-2's byte-to-character table, then BPE by merge rank with `</w>`
/// marking the end of each word. Unlike OpenAI's original tokenizer it runs no ftfy or HTML
/// unescaping, as the fast tokenizer that diffusers uses does not either.
public struct CLIPTokenizer: Sendable {
    /// The sequence length of CLIP's text encoder: start token, 75 pieces, end token.
    public static let contextLength = 77

    /// Id of every vocabulary entry, keyed by its byte-mapped text (`a</w>`, `<|endoftext|>`).
    public let vocabulary: [String: Int32]
    /// Merge rank of every symbol pair, the line order of `merges.txt`.
    let mergeRanks: [SymbolPair: Int]
    /// `<|startoftext|>`, prepended to every sequence.
    public let startOfText: Int32
    /// `<|endoftext|>`, appended to every sequence; CLIP also pads and replaces unknown symbols with it.
    public let endOfText: Int32
    /// The character each byte value stands for in vocabulary entries.
    let byteCharacters: [String]
    let cache = BPECache()

    /// Loads a Hugging Face `vocab.json` (token to id) and `merges.txt` (one `left right` pair a line,
    /// after an optional `#version` header).
    public init(vocabularyFile: String, mergesFile: String) throws {
        vocabulary = try Self.readVocabulary(vocabularyFile)
        mergeRanks = try Self.readMerges(mergesFile)
        guard let start = vocabulary["<|startoftext|>"], let end = vocabulary["<|endoftext|>"] else {
            throw EngineError.invalidTokenizer(
                path: vocabularyFile,
                reason: "the vocabulary has no '<|startoftext|>' or '<|endoftext|>' entry; use CLIP's vocab.json"
            )
        }
        startOfText = start
        endOfText = end
        byteCharacters = Self.byteToCharacterTable()
    }

    /// Loads `vocab.json` and `merges.txt` from a folder such as a diffusers `tokenizer/` folder or
    /// the vocabulary shipped in `share/kontextd/tokenizers/clip`.
    public init(directory: String) throws {
        let base = URL(fileURLWithPath: directory)
        try self.init(
            vocabularyFile: base.appendingPathComponent("vocab.json").path,
            mergesFile: base.appendingPathComponent("merges.txt").path
        )
    }

    /// The padding id: CLIP pads with `<|endoftext|>`.
    public var padding: Int32 { endOfText }

    /// Encodes `text` to exactly 77 ids: start token, at most 75 pieces, end token, then padding.
    ///
    /// Longer prompts lose their tail pieces; the end token stays last, as in the fast tokenizer.
    public func encode(_ text: String) -> [Int32] {
        let pieces = self.pieces(text).prefix(Self.contextLength - 2)
        var ids: [Int32] = [startOfText]
        ids.append(contentsOf: pieces)
        ids.append(endOfText)
        ids.append(contentsOf: repeatElement(padding, count: Self.contextLength - ids.count))
        return ids
    }

    /// Encodes `text` to BPE ids without start, end or padding tokens and without truncation.
    ///
    /// The literal strings `<|startoftext|>` and `<|endoftext|>` in the text become their special ids,
    /// because the fast tokenizer matches special tokens before normalising.
    public func pieces(_ text: String) -> [Int32] {
        var ids: [Int32] = []
        let specials = ["<|startoftext|>": startOfText, "<|endoftext|>": endOfText]
        for segment in TextSegment.split(text, specials: specials) {
            switch segment {
            case .special(let id):
                ids.append(id)
            case .text(let part):
                for word in Self.preTokenize(Self.normalize(part)) {
                    ids.append(contentsOf: bpe(word: byteMapped(word)))
                }
            }
        }
        return ids
    }

    /// Replaces each UTF-8 byte of the word by its character in the byte-to-character table.
    func byteMapped(_ word: String) -> [String] {
        word.utf8.map { byteCharacters[Int($0)] }
    }

    private static func readVocabulary(_ path: String) throws -> [String: Int32] {
        let data = try readTokenizerFile(path)
        guard let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any] else {
            throw EngineError.invalidTokenizer(path: path, reason: "expected a JSON object of token to id")
        }
        var vocabulary: [String: Int32] = [:]
        vocabulary.reserveCapacity(object.count)
        for (token, value) in object {
            guard let id = value as? Int, id >= 0, id <= Int(Int32.max) else {
                throw EngineError.invalidTokenizer(path: path, reason: "the id of '\(token)' is not a non-negative integer")
            }
            vocabulary[token] = Int32(id)
        }
        return vocabulary
    }

    private static func readMerges(_ path: String) throws -> [SymbolPair: Int] {
        let data = try readTokenizerFile(path)
        guard let text = String(data: data, encoding: .utf8) else {
            throw EngineError.invalidTokenizer(path: path, reason: "the merges file is not UTF-8")
        }
        var ranks: [SymbolPair: Int] = [:]
        var rank = 0
        for (number, line) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let trimmed = line.hasSuffix("\r") ? line.dropLast() : line
            if trimmed.isEmpty || (number == 0 && trimmed.hasPrefix("#version")) { continue }
            let parts = trimmed.split(separator: " ", omittingEmptySubsequences: false)
            guard parts.count == 2, !parts[0].isEmpty, !parts[1].isEmpty else {
                throw EngineError.invalidTokenizer(
                    path: path, reason: "line \(number + 1) '\(trimmed)' is not two symbols separated by one space"
                )
            }
            let pair = SymbolPair(left: String(parts[0]), right: String(parts[1]))
            if ranks[pair] == nil { ranks[pair] = rank }
            rank += 1
        }
        return ranks
    }

    /// GPT-2's reversible table: printable Latin-1 bytes stand for themselves, the other 68 byte
    /// values map to U+0100 onwards in byte order.
    static func byteToCharacterTable() -> [String] {
        let printable = Array(33...126) + Array(161...172) + Array(174...255)
        var table = [String](repeating: "", count: 256)
        var next = 256
        for byte in 0..<256 {
            let codePoint = printable.contains(byte) ? byte : { defer { next += 1 }; return next }()
            // Code points 33...323 are all valid scalars, so the force unwrap cannot fail.
            table[byte] = String(Character(Unicode.Scalar(UInt32(codePoint))!))
        }
        return table
    }
}

/// Reads a whole tokenizer file, naming the path when it cannot be read.
func readTokenizerFile(_ path: String) throws -> Data {
    guard FileManager.default.fileExists(atPath: path) else {
        throw EngineError.invalidTokenizer(path: path, reason: "file not found; check the tokenizer path")
    }
    do {
        return try Data(contentsOf: URL(fileURLWithPath: path))
    } catch {
        throw EngineError.invalidTokenizer(path: path, reason: "cannot be read (\(error.localizedDescription))")
    }
}
