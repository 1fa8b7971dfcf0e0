import Foundation

/// The pieces, scores and normaliser of a unigram model, read from a SentencePiece `spiece.model`
/// or from a Hugging Face `tokenizer.json`.
struct UnigramVocabulary: Sendable {
    struct Piece: Sendable {
        var text: String
        /// Log probability; Viterbi maximises the sum over a segmentation.
        var score: Double
        /// False for control, unknown, unused and byte pieces, which text never matches.
        var matchable: Bool
    }

    var pieces: [Piece]
    var unknownID: Int32
    /// Added tokens that transformers matches literally in the text, such as `</s>` and `<extra_id_0>`.
    var specialTokens: [String: Int32]
    /// nil when the file has no precompiled rules; NFKC is used then.
    var charsmap: PrecompiledCharsmap?

    func id(of text: String) -> Int32? {
        pieces.firstIndex { $0.text == text }.map { Int32($0) }
    }
}

extension UnigramVocabulary {
    /// SentencePiece piece types (`sentencepiece_model.proto`).
    private enum PieceType: UInt64 {
        case normal = 1, unknown = 2, control = 3, userDefined = 4, unused = 5, byte = 6
    }

    /// Parses the `ModelProto` protobuf. Field 1 contains the pieces (piece 1, score 2, type 3) and
    /// field 3 the normaliser spec (precompiled charsmap in its field 2).
    init(sentencePieceModel bytes: [UInt8], path: String) throws {
        var reader = ProtobufReader(bytes: bytes[...], path: path)
        var pieces: [Piece] = []
        var charsmapBytes: [UInt8] = []
        var unknownID: Int32?
        while let (field, wireType) = try reader.nextField() {
            switch (field, wireType) {
            case (1, 2):
                let (piece, type) = try Self.parsePiece(reader.readLengthDelimited(), path: path)
                if type == .unknown, unknownID == nil { unknownID = Int32(pieces.count) }
                pieces.append(Piece(text: piece.text, score: piece.score, matchable: type == .normal || type == .userDefined))
            case (3, 2):
                charsmapBytes = try Self.parseCharsmap(reader.readLengthDelimited(), path: path)
            default:
                try reader.skip(wireType: wireType)
            }
        }
        guard !pieces.isEmpty else {
            throw EngineError.invalidTokenizer(path: path, reason: "the SentencePiece model has no pieces")
        }
        guard let unknownID else {
            throw EngineError.invalidTokenizer(path: path, reason: "the SentencePiece model has no unknown piece")
        }
        self.pieces = pieces
        self.unknownID = unknownID
        charsmap = PrecompiledCharsmap(charsmapBytes)
        specialTokens = Self.transformersSpecialTokens(pieces)
    }

    /// Lists the special tokens transformers' T5Tokenizer adds to a SentencePiece model: the
    /// control and unknown pieces, then 100 sentinels after the pieces with `<extra_id_0>` last
    /// (32099 for T5).
    private static func transformersSpecialTokens(_ pieces: [Piece]) -> [String: Int32] {
        var specials: [String: Int32] = [:]
        for (index, piece) in pieces.enumerated() where !piece.matchable && !piece.text.isEmpty {
            specials[piece.text] = Int32(index)
        }
        for sentinel in 0..<100 {
            specials["<extra_id_\(sentinel)>"] = Int32(pieces.count + 99 - sentinel)
        }
        return specials
    }

    private static func parsePiece(_ bytes: ArraySlice<UInt8>, path: String) throws -> (Piece, PieceType) {
        var reader = ProtobufReader(bytes: bytes, path: path)
        var text = ""
        var score: Float = 0
        var type = PieceType.normal
        while let (field, wireType) = try reader.nextField() {
            switch (field, wireType) {
            case (1, 2):
                text = String(decoding: try reader.readLengthDelimited(), as: UTF8.self)
            case (2, 5):
                score = Float(bitPattern: try reader.readFixed32())
            case (3, 0):
                let raw = try reader.readVarint()
                guard let known = PieceType(rawValue: raw) else {
                    throw EngineError.invalidTokenizer(path: path, reason: "piece '\(text)' has unknown type \(raw)")
                }
                type = known
            default:
                try reader.skip(wireType: wireType)
            }
        }
        return (Piece(text: text, score: Double(score), matchable: true), type)
    }

    private static func parseCharsmap(_ bytes: ArraySlice<UInt8>, path: String) throws -> [UInt8] {
        var reader = ProtobufReader(bytes: bytes, path: path)
        var charsmap: [UInt8] = []
        while let (field, wireType) = try reader.nextField() {
            if field == 2, wireType == 2 {
                charsmap = Array(try reader.readLengthDelimited())
            } else {
                try reader.skip(wireType: wireType)
            }
        }
        return charsmap
    }
}

extension UnigramVocabulary {
    /// Reads a `tokenizer.json` whose model is `Unigram`, with `model.vocab` a list of `[piece, score]`.
    /// Special added tokens are matched only literally, never by Viterbi. The charsmap is the base64
    /// `precompiled_charsmap` of a `Precompiled` normaliser, alone or inside a `Sequence`.
    init(tokenizerJSON data: Data, path: String) throws {
        guard let root = try? JSONSerialization.jsonObject(with: data) as? [String: Any],
            let model = root["model"] as? [String: Any]
        else {
            throw EngineError.invalidTokenizer(path: path, reason: "invalid tokenizer.json: expected a JSON object with a 'model' entry")
        }
        guard model["type"] as? String == "Unigram", let vocab = model["vocab"] as? [[Any]] else {
            throw EngineError.invalidTokenizer(
                path: path, reason: "the model is '\(model["type"] ?? "missing")', expected a Unigram model as T5 uses"
            )
        }
        if model["byte_fallback"] as? Bool == true {
            throw EngineError.invalidTokenizer(path: path, reason: "byte_fallback Unigram models are not supported")
        }
        var specialTokens: [String: Int32] = [:]
        for token in (root["added_tokens"] as? [[String: Any]]) ?? [] where token["special"] as? Bool == true {
            if let content = token["content"] as? String, let id = token["id"] as? Int { specialTokens[content] = Int32(id) }
        }
        let special = Set(specialTokens.values.map { Int($0) })
        var pieces: [Piece] = []
        pieces.reserveCapacity(vocab.count)
        for (index, entry) in vocab.enumerated() {
            guard entry.count == 2, let text = entry[0] as? String, let score = (entry[1] as? NSNumber)?.doubleValue else {
                throw EngineError.invalidTokenizer(path: path, reason: "vocab entry \(index) is not [piece, score]")
            }
            pieces.append(Piece(text: text, score: score, matchable: !special.contains(index)))
        }
        guard let unknown = model["unk_id"] as? Int, pieces.indices.contains(unknown) else {
            throw EngineError.invalidTokenizer(path: path, reason: "the Unigram model has no valid 'unk_id'")
        }
        pieces[unknown].matchable = false
        self.pieces = pieces
        unknownID = Int32(unknown)
        self.specialTokens = specialTokens
        charsmap = Self.findCharsmap(root["normalizer"]).flatMap { PrecompiledCharsmap(Array($0)) }
    }

    private static func findCharsmap(_ normalizer: Any?) -> Data? {
        guard let object = normalizer as? [String: Any] else { return nil }
        if object["type"] as? String == "Precompiled", let encoded = object["precompiled_charsmap"] as? String {
            return Data(base64Encoded: encoded)
        }
        for child in (object["normalizers"] as? [Any]) ?? [] {
            if let found = findCharsmap(child) { return found }
        }
        return nil
    }
}

/// A minimal protobuf wire-format reader: varints, fixed32 and length-delimited fields.
struct ProtobufReader {
    var bytes: ArraySlice<UInt8>
    let path: String

    init(bytes: ArraySlice<UInt8>, path: String) {
        self.bytes = bytes
        self.path = path
    }

    /// Reads the next field number and wire type, nil at the end of the message.
    mutating func nextField() throws -> (Int, Int)? {
        guard !bytes.isEmpty else { return nil }
        let key = try readVarint()
        return (Int(key >> 3), Int(key & 7))
    }

    mutating func readVarint() throws -> UInt64 {
        var value: UInt64 = 0
        var shift: UInt64 = 0
        while let byte = bytes.popFirst() {
            value |= UInt64(byte & 0x7F) << shift
            if byte & 0x80 == 0 { return value }
            shift += 7
            if shift > 63 { break }
        }
        throw truncated()
    }

    mutating func readFixed32() throws -> UInt32 {
        guard bytes.count >= 4 else { throw truncated() }
        var value: UInt32 = 0
        for index in 0..<4 { value |= UInt32(bytes[bytes.startIndex + index]) << (8 * index) }
        bytes = bytes.dropFirst(4)
        return value
    }

    mutating func readLengthDelimited() throws -> ArraySlice<UInt8> {
        let length = try readVarint()
        guard length <= UInt64(bytes.count) else { throw truncated() }
        let field = bytes.prefix(Int(length))
        bytes = bytes.dropFirst(Int(length))
        return field
    }

    mutating func skip(wireType: Int) throws {
        switch wireType {
        case 0: _ = try readVarint()
        case 1:
            guard bytes.count >= 8 else { throw truncated() }
            bytes = bytes.dropFirst(8)
        case 2: _ = try readLengthDelimited()
        case 5: _ = try readFixed32()
        default:
            throw EngineError.invalidTokenizer(path: path, reason: "unsupported protobuf wire type \(wireType); is it a SentencePiece model?")
        }
    }

    private func truncated() -> EngineError {
        EngineError.invalidTokenizer(path: path, reason: "the protobuf data ends inside a field; is it a SentencePiece model?")
    }
}
