import Foundation
import Testing

@testable import FluxEngine

/// Paths of the text fixtures and of the CLIP vocabulary the daemon ships.
enum TextFixtures {
    static let directory = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .appendingPathComponent("Fixtures/text")
    static let repositoryRoot = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    static let clipVocabulary = repositoryRoot.appendingPathComponent("share/kontextd/tokenizers/clip")

    static func path(_ relative: String) -> String {
        directory.appendingPathComponent(relative).path
    }

    /// Decodes a committed fixture; a missing or changed fixture is a broken checkout, so the
    /// force try stops the suite with the decoding error.
    static func decode<T: Decodable>(_ type: T.Type, _ relative: String) -> T {
        // swiftlint:disable:next force_try
        try! JSONDecoder().decode(type, from: Data(contentsOf: directory.appendingPathComponent(relative)))
    }

    /// Creates a scratch folder, which the caller removes.
    static func temporaryDirectory() throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("text-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }
}

/// One prompt and the ids transformers' CLIPTokenizer gave for it.
struct CLIPGoldenCase: Decodable, Sendable, CustomTestStringConvertible {
    var name: String
    var text: String
    var ids: [Int32]
    var testDescription: String { name }
}

@Suite struct TokenizerCLIPTests {
    static let cases = TextFixtures.decode([CLIPGoldenCase].self, "clip_tokens.json")
    /// The shipped vocabulary; it must load for the daemon to work, so a failure stops the suite.
    // swiftlint:disable:next force_try
    static let tokenizer = try! CLIPTokenizer(directory: TextFixtures.clipVocabulary.path)

    @Test(arguments: cases)
    func goldenIDs(_ golden: CLIPGoldenCase) {
        #expect(Self.tokenizer.encode(golden.text) == golden.ids)
    }

    @Test func fixtureCoversTheHardCases() {
        let names = Set(Self.cases.map(\.name))
        for required in ["accent_nfd", "emoji", "cjk", "punctuation", "apostrophes", "digits", "whitespace",
                         "empty", "long", "unknown"] {
            #expect(names.contains(required), "clip_tokens.json has no '\(required)' case")
        }
    }

    @Test func vocabularyHasCLIPLayout() {
        let tokenizer = Self.tokenizer
        #expect(tokenizer.vocabulary.count == 49408)
        #expect(tokenizer.mergeRanks.count == 48894)
        #expect(tokenizer.startOfText == 49406)
        #expect(tokenizer.endOfText == 49407)
        #expect(tokenizer.padding == 49407)
    }

    @Test func byteTableIsAPermutationOfSingleScalars() {
        let table = CLIPTokenizer.byteToCharacterTable()
        #expect(Set(table).count == 256)
        #expect(table.allSatisfy { $0.unicodeScalars.count == 1 })
        #expect(table[Int(UInt8(ascii: "a"))] == "a")
        #expect(table[32] == "\u{0120}")
        #expect(table[0] == "\u{0100}")
    }

    @Test(arguments: [
        ("it's the cat's", ["it", "'s", "the", "cat", "'s"]),
        ("!!'s", ["!!'", "s"]),
        ("'sun 'llama 're", ["'s", "un", "'ll", "ama", "'re"]),
        ("abc123", ["abc", "1", "2", "3"]),
        ("a\u{0307}b", ["a", "\u{0307}", "b"]),
        ("  ", [String]()),
    ])
    func preTokenizerSplitsLikeThePattern(_ text: String, _ expected: [String]) {
        #expect(CLIPTokenizer.preTokenize(text) == expected)
    }

    @Test func normalizationComposesCollapsesAndLowercases() {
        #expect(CLIPTokenizer.normalize("Cafe\u{0301}\t\n  BAR") == "caf\u{00E9} bar")
    }

    @Test func longPromptKeepsEndTokenLast() {
        let text = String(repeating: "red ", count: 200)
        let ids = Self.tokenizer.encode(text)
        #expect(ids.count == 77)
        #expect(ids[0] == 49406)
        #expect(ids[76] == 49407)
        #expect(ids[1..<76].allSatisfy { $0 == ids[1] })
        #expect(Self.tokenizer.pieces(text).count == 200)
    }

    @Test func repeatedEncodingUsesTheCacheConsistently() {
        let first = Self.tokenizer.encode("a surprisingly unusual vocabulary")
        let second = Self.tokenizer.encode("a surprisingly unusual vocabulary")
        #expect(first == second)
        #expect(Self.tokenizer.cache.ids(for: "surprisingly") != nil)
    }

    @Test func missingFileIsReported() {
        #expect(throws: EngineError.invalidTokenizer(
            path: "/nonexistent/vocab.json",
            reason: "file not found; check the tokenizer path"
        )) {
            try CLIPTokenizer(vocabularyFile: "/nonexistent/vocab.json", mergesFile: "/nonexistent/merges.txt")
        }
    }

    @Test func vocabularyWithoutSpecialTokensIsRejected() throws {
        let folder = try TextFixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: folder) }
        try Data(#"{"a": 0, "b": 1}"#.utf8).write(to: folder.appendingPathComponent("vocab.json"))
        try Data("#version: 0.2\na b\n".utf8).write(to: folder.appendingPathComponent("merges.txt"))
        let vocabulary = folder.appendingPathComponent("vocab.json").path
        #expect(throws: EngineError.invalidTokenizer(
            path: vocabulary,
            reason: "the vocabulary has no '<|startoftext|>' or '<|endoftext|>' entry; use CLIP's vocab.json"
        )) {
            try CLIPTokenizer(directory: folder.path)
        }
    }

    @Test func malformedMergeLineIsRejected() throws {
        let folder = try TextFixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: folder) }
        try Data(#"{"<|startoftext|>": 0, "<|endoftext|>": 1}"#.utf8).write(to: folder.appendingPathComponent("vocab.json"))
        try Data("#version: 0.2\na b\nabc\n".utf8).write(to: folder.appendingPathComponent("merges.txt"))
        #expect(throws: EngineError.invalidTokenizer(
            path: folder.appendingPathComponent("merges.txt").path,
            reason: "line 3 'abc' is not two symbols separated by one space"
        )) {
            try CLIPTokenizer(directory: folder.path)
        }
    }
}
