import Foundation
import Testing

@testable import FluxEngine

/// One prompt with the ids of the sentencepiece library and of transformers' T5Tokenizer
/// (unpadded, and padded or truncated to 48).
struct T5GoldenCase: Decodable, Sendable, CustomTestStringConvertible {
    var name: String
    var text: String
    var sentencepiece: [Int32]
    var transformers: [Int32]
    var transformers_48: [Int32]
    var testDescription: String { name }
}

/// The tokenizer fixture is a small unigram model trained by scripts/fixtures/text_fixtures.py with
/// T5's special ids and SentencePiece's default nmt_nfkc rules, because no installable package
/// ships Google's T5 spiece.model.
@Suite struct TokenizerT5Tests {
    static let cases = TextFixtures.decode([T5GoldenCase].self, "t5_tokens.json")
    // A committed fixture that fails to load is a broken checkout, so the force try stops the suite.
    // swiftlint:disable:next force_try
    static let fromModel = try! T5Tokenizer(path: TextFixtures.path("t5/spiece.model"))
    // swiftlint:disable:next force_try
    static let fromJSON = try! T5Tokenizer(path: TextFixtures.path("t5/tokenizer.json"))

    @Test(arguments: cases)
    func spieceModelMatchesTransformers(_ golden: T5GoldenCase) {
        #expect(Self.fromModel.encode(golden.text, length: golden.transformers.count) == golden.transformers)
    }

    @Test(arguments: cases)
    func tokenizerJSONMatchesTransformers(_ golden: T5GoldenCase) {
        #expect(Self.fromJSON.pieces(golden.text) + [1] == golden.transformers)
    }

    /// The sentencepiece library has no added special tokens, so the case that writes them is left out.
    @Test(arguments: cases.filter { $0.name != "t5_special_text" })
    func piecesMatchSentencePiece(_ golden: T5GoldenCase) {
        #expect(Self.fromModel.pieces(golden.text) + [1] == golden.sentencepiece)
    }

    @Test(arguments: cases)
    func paddingAndTruncationMatchTransformers(_ golden: T5GoldenCase) {
        #expect(Self.fromModel.encode(golden.text, length: 48) == golden.transformers_48)
    }

    @Test func fixtureCoversTheHardCases() {
        let names = Set(Self.cases.map(\.name))
        for required in ["accent_nfd", "emoji", "cjk", "punctuation", "apostrophes", "digits", "whitespace",
                         "empty", "long", "unknown"] {
            #expect(names.contains(required), "t5_tokens.json has no '\(required)' case")
        }
        #expect(Self.cases.contains { $0.sentencepiece.count > 48 }, "no case is long enough to be truncated")
    }

    @Test func defaultLengthIs512WithEndAndPadding() {
        let ids = Self.fromModel.encode("a photo of a cat")
        let pieces = Self.fromModel.pieces("a photo of a cat")
        #expect(ids.count == 512)
        #expect(Array(ids.prefix(pieces.count)) == pieces)
        #expect(ids[pieces.count] == 1)
        #expect(ids[(pieces.count + 1)...].allSatisfy { $0 == 0 })
    }

    @Test func longPromptKeepsEndTokenLast() {
        let text = String(repeating: "the cat looks bright ", count: 300)
        let ids = Self.fromModel.encode(text)
        #expect(Self.fromModel.pieces(text).count > 511)
        #expect(ids.count == 512)
        #expect(ids[511] == 1)
        #expect(!ids[0..<511].contains(0))
    }

    @Test func specialIDsFollowT5() {
        let tokenizer = Self.fromModel
        #expect(tokenizer.padding == 0)
        #expect(tokenizer.endOfSequence == 1)
        #expect(tokenizer.unknownID == 2)
        #expect(tokenizer.vocabulary.charsmap != nil)
    }

    @Test func specialTokensInTextBecomeTheirIDs() {
        let ids = Self.fromModel.pieces("a<extra_id_0></s><pad><unk><extra_id_99>")
        #expect(Array(ids.suffix(5)) == [597, 1, 0, 2, 498])
        #expect(Self.fromJSON.vocabulary.specialTokens == Self.fromModel.vocabulary.specialTokens)
    }

    @Test func consecutiveUnknownCharactersFuse() {
        let single = Self.fromModel.pieces("\u{1F525}")
        let double = Self.fromModel.pieces("\u{1F525}\u{1F525}\u{1F525}")
        #expect(single == double)
        #expect(single.last == 2)
    }

    @Test func charsmapAppliesNFKCAndWhitespaceRules() {
        let tokenizer = Self.fromModel
        #expect(tokenizer.normalize("\u{FF21}\u{FB01}") == "Afi")
        #expect(tokenizer.normalize("e\u{0301}") == "\u{00E9}")
        #expect(tokenizer.normalize("a\tb") == "a b")
    }

    @Test func folderPrefersTokenizerJSON() throws {
        let tokenizer = try T5Tokenizer(path: TextFixtures.path("t5"))
        #expect(tokenizer.vocabulary.pieces.count == Self.fromJSON.vocabulary.pieces.count)
    }

    @Test func missingFileIsReported() {
        #expect(throws: EngineError.invalidTokenizer(path: "/nonexistent/spiece.model", reason: "file not found; check the tokenizer path")) {
            try T5Tokenizer(path: "/nonexistent/spiece.model")
        }
    }

    @Test func truncatedModelIsRejected() throws {
        let folder = try TextFixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: folder) }
        let model = try Data(contentsOf: URL(fileURLWithPath: TextFixtures.path("t5/spiece.model")))
        let path = folder.appendingPathComponent("spiece.model")
        try model.prefix(1000).write(to: path)
        #expect(throws: EngineError.invalidTokenizer(
            path: path.path, reason: "the protobuf data ends inside a field; is it a SentencePiece model?"
        )) {
            try T5Tokenizer(path: path.path)
        }
    }

    @Test func bpeTokenizerJSONIsRejected() throws {
        let folder = try TextFixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: folder) }
        let path = folder.appendingPathComponent("tokenizer.json")
        try Data(#"{"model": {"type": "BPE", "vocab": {}}}"#.utf8).write(to: path)
        #expect(throws: EngineError.invalidTokenizer(
            path: path.path, reason: "the model is 'BPE', expected a Unigram model as T5 uses"
        )) {
            try T5Tokenizer(path: path.path)
        }
    }
}
