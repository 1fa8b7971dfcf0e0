import Foundation

/// T5's SentencePiece unigram tokenizer, producing the same ids as the tokenizers-backed
/// `T5Tokenizer` of transformers 5 (and, on the tested prompts, as the sentencepiece library).
///
/// The pipeline runs the model's precompiled normaliser (`nmt_nfkc` for T5: NFKC plus control and
/// whitespace cleanup) and splits at whitespace. Each word gets a leading `▁` and is segmented by
/// Viterbi over piece scores. Consecutive unknown characters become one unknown id, and `</s>` ends
/// the sequence.
public struct T5Tokenizer: Sendable {
    /// The sequence length Flux pipelines pad and truncate to.
    public static let defaultLength = 512

    let vocabulary: UnigramVocabulary
    /// Matchable pieces by text.
    let pieceIDs: [String: Int32]
    /// The maximum length of a matchable piece, in Unicode scalars.
    let longestPiece: Int
    /// Score of an unknown character: the lowest piece score minus 10, as in SentencePiece.
    let unknownScore: Double
    public let unknownID: Int32
    /// `</s>`, appended to every sequence.
    public let endOfSequence: Int32
    /// `<pad>`, filling the sequence up to its length.
    public let padding: Int32

    /// Loads `spiece.model`, a `tokenizer.json` with a Unigram model, or a folder holding either
    /// (a diffusers `tokenizer_2/` folder). In a folder, `tokenizer.json` is preferred.
    public init(path: String) throws {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
            throw EngineError.invalidTokenizer(path: path, reason: "file not found; check the tokenizer path")
        }
        if isDirectory.boolValue {
            let base = URL(fileURLWithPath: path)
            let json = base.appendingPathComponent("tokenizer.json").path
            let model = base.appendingPathComponent("spiece.model").path
            guard let found = [json, model].first(where: { FileManager.default.fileExists(atPath: $0) }) else {
                throw EngineError.invalidTokenizer(
                    path: path, reason: "the folder has neither tokenizer.json nor spiece.model"
                )
            }
            try self.init(path: found)
            return
        }
        let data = try readTokenizerFile(path)
        if data.first == UInt8(ascii: "{") {
            try self.init(vocabulary: UnigramVocabulary(tokenizerJSON: data, path: path))
        } else {
            try self.init(vocabulary: UnigramVocabulary(sentencePieceModel: Array(data), path: path))
        }
    }

    init(vocabulary: UnigramVocabulary) throws {
        self.vocabulary = vocabulary
        var ids: [String: Int32] = [:]
        var longest = 1
        for (index, piece) in vocabulary.pieces.enumerated() where piece.matchable && !piece.text.isEmpty {
            if ids[piece.text] == nil { ids[piece.text] = Int32(index) }
            longest = max(longest, piece.text.unicodeScalars.count)
        }
        pieceIDs = ids
        longestPiece = longest
        unknownScore = (vocabulary.pieces.map(\.score).min() ?? 0) - 10
        unknownID = vocabulary.unknownID
        endOfSequence = vocabulary.id(of: "</s>") ?? 1
        padding = vocabulary.id(of: "<pad>") ?? 0
    }

    /// Encodes `text` to exactly `length` ids: at most `length - 1` pieces, `</s>`, then padding.
    public func encode(_ text: String, length: Int = defaultLength) -> [Int32] {
        precondition(length >= 1, "a T5 sequence needs room for </s>, got length \(length)")
        var ids = Array(pieces(text).prefix(length - 1))
        ids.append(endOfSequence)
        ids.append(contentsOf: repeatElement(padding, count: length - ids.count))
        return ids
    }

    /// Segments `text` into piece ids without `</s>`, padding or truncation.
    ///
    /// Special tokens written in the text (`</s>`, `<pad>`, `<extra_id_0>`) become their ids, as
    /// in transformers. The sentencepiece library would segment them as ordinary text.
    public func pieces(_ text: String) -> [Int32] {
        var ids: [Int32] = []
        for part in TextSegment.split(text, specials: vocabulary.specialTokens) {
            switch part {
            case .special(let id):
                ids.append(id)
            case .text(let plain):
                for word in normalize(plain).unicodeScalars.split(whereSeparator: { $0.properties.isWhitespace }) {
                    var scalars: [Unicode.Scalar] = ["\u{2581}"]
                    scalars.append(contentsOf: word)
                    ids.append(contentsOf: segment(scalars))
                }
            }
        }
        return ids
    }

    /// Applies the model's precompiled rules, or Swift's NFKC when the file has none.
    func normalize(_ text: String) -> String {
        if let charsmap = vocabulary.charsmap { return charsmap.normalize(text) }
        return text.precomposedStringWithCompatibilityMapping
    }

    /// Runs Viterbi over one word as the tokenizers library's `encode_optimized` does. Starts are
    /// visited left to right and pieces at a start from short to long. A later candidate replaces
    /// the best path into a position only with a strictly higher score, which fixes tie-breaking.
    func segment(_ scalars: [Unicode.Scalar]) -> [Int32] {
        let count = scalars.count
        var best = [(score: Double, start: Int, id: Int32)](repeating: (0, -1, 0), count: count + 1)
        for start in 0..<count {
            guard start == 0 || best[start].start >= 0 else { continue }
            let base = best[start].score
            var hasSingle = false
            var candidate = String.UnicodeScalarView()
            for end in (start + 1)...min(count, start + longestPiece) {
                candidate.append(scalars[end - 1])
                guard let id = pieceIDs[String(candidate)] else { continue }
                if end == start + 1 { hasSingle = true }
                let score = base + vocabulary.pieces[Int(id)].score
                if best[end].start < 0 || score > best[end].score { best[end] = (score, start, id) }
            }
            if !hasSingle {
                let score = base + unknownScore
                if best[start + 1].start < 0 || score > best[start + 1].score {
                    best[start + 1] = (score, start, unknownID)
                }
            }
        }
        var ids: [Int32] = []
        var end = count
        while end > 0 {
            let node = best[end]
            // Consecutive unknown characters become one unknown id, as with fuse_unk.
            if !(node.id == unknownID && ids.last == unknownID) { ids.append(node.id) }
            end = node.start
        }
        return ids.reversed()
    }
}
