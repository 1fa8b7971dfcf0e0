import Testing

@testable import Recipes

struct YAMLParserTests {
    private func parse(_ text: String, limits: YAMLLimits = YAMLLimits()) throws(YAMLError) -> YAMLNode? {
        try YAMLParser.parse(Array(text.utf8), limits: limits)
    }

    private func error(_ text: String, limits: YAMLLimits = YAMLLimits()) -> YAMLError? {
        do {
            _ = try parse(text, limits: limits)
            return nil
        } catch {
            return error
        }
    }

    @Test func nodesCarryLineAndColumn() throws {
        let root = try #require(try parse("prompt: hi\nmask:\n  - rect: [1, 2, 3, 4]\n"))

        let pairs = try #require(root.pairs)
        #expect(pairs.map(\.name) == ["prompt", "mask"])
        #expect(pairs[0].key.position == SourcePosition(line: 1, column: 1))
        #expect(pairs[0].value.position == SourcePosition(line: 1, column: 9))
        let shape = try #require(pairs[1].value.items?.first)
        #expect(shape.position == SourcePosition(line: 3, column: 5))
        let rect = try #require(shape.pairs?.first?.value.items)
        #expect(rect.map(\.position.column) == [12, 15, 18, 21])
    }

    @Test(arguments: [
        ("a: plain", ScalarStyle.plain),
        ("a: 'single'", .singleQuoted),
        ("a: \"double\"", .doubleQuoted),
        ("a: |\n  literal\n", .literal),
        ("a: >\n  folded\n", .folded),
    ])
    func scalarStyleIsKept(text: String, style: ScalarStyle) throws {
        let value = try #require(try parse(text)?.pairs?.first?.value)

        guard case .scalar(_, let parsedStyle) = value.content else {
            Issue.record("expected a scalar, found \(value.content)")
            return
        }
        #expect(parsedStyle == style)
    }

    @Test(arguments: ["", "# only a comment\n", "---\n", "--- ~\n"])
    func emptyDocumentIsNil(text: String) throws {
        #expect(try parse(text) == nil)
    }

    @Test func aliasesAreExpanded() throws {
        let root = try #require(try parse("base: &b {steps: 20}\ncopy: *b\n"))

        let pairs = try #require(root.pairs)
        #expect(pairs[1].value == pairs[0].value)
        #expect(pairs[1].value.pairs?.first?.value.scalarText == "20")
    }

    @Test func billionLaughsIsRejected() {
        var lines = ["a0: &a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol, lol]"]
        for level in 1...9 {
            let previous = "*a\(level - 1)"
            let items = Array(repeating: previous, count: 10).joined(separator: ", ")
            lines.append("a\(level): &a\(level) [\(items)]")
        }

        let failure = error(lines.joined(separator: "\n") + "\n")

        // Lines 1-3 hold 1,238 nodes; each alias on line 4 adds a2's 1,111, so the 8th (column 45) passes 10,000.
        #expect(failure == .tooManyNodes(limit: 10_000, at: SourcePosition(line: 4, column: 45)))
        #expect(
            failure?.message
                == "the document expands to more than 10000 nodes (aliases count once per use); simplify it or use fewer aliases"
        )
    }

    @Test func deepNestingIsRejected() {
        let text = String(repeating: "[", count: 100_000) + String(repeating: "]", count: 100_000)

        let failure = error("a: " + text + "\n")

        #expect(failure == .tooDeep(limit: 64, at: SourcePosition(line: 1, column: 4 + 63)))
    }

    @Test func deepAliasIsRejected() {
        let limits = YAMLLimits(maxNodes: 10_000, maxDepth: 5)

        // `x` reaches depth 5 where it is defined, and depth 6 inside the list on line 2.
        let failure = error("a: &x [[[1]]]\nb: [*x]\n", limits: limits)

        #expect(failure == .tooDeep(limit: 5, at: SourcePosition(line: 2, column: 5)))
    }

    @Test func invalidUTF8NamesByteAndPosition() {
        var bytes = Array("prompt: caf".utf8)
        bytes += [0xC3, 0x28]
        bytes += Array("\n".utf8)

        let thrown: YAMLError?
        do {
            _ = try YAMLParser.parse(Array("ok: é\n".utf8) + bytes)
            thrown = nil
        } catch {
            thrown = error
        }

        #expect(thrown == .invalidUTF8(byte: 0xC3, at: SourcePosition(line: 2, column: 12)))
        #expect(thrown?.description == "2:12: error: invalid UTF-8 byte 0xC3; save the file as UTF-8")
    }

    @Test func byteOrderMarkTakesNoColumn() {
        let bytes: [UInt8] = [0xEF, 0xBB, 0xBF] + Array("a: ".utf8) + [0xFF]

        #expect(throws: YAMLError.invalidUTF8(byte: 0xFF, at: SourcePosition(line: 1, column: 4))) {
            try YAMLParser.parse(bytes)
        }
    }

    @Test func oversizedInputIsRejected() {
        let failure = error(String(repeating: "#", count: 2000), limits: YAMLLimits(maxBytes: 1000))

        #expect(failure == .tooLarge(byteCount: 2000, limit: 1000))
    }
}
