import Foundation
import Synchronization

/// Two adjacent symbols that a BPE merge joins.
struct SymbolPair: Hashable, Sendable {
    var left: String
    var right: String
}

/// Word-to-ids results of BPE, shared by copies of a tokenizer.
final class BPECache: Sendable {
    /// Entries kept before the cache is emptied; prompts reuse few words, so this is rarely reached.
    static let capacity = 20_000
    private let entries = Mutex<[String: [Int32]]>([:])

    func ids(for word: String) -> [Int32]? {
        entries.withLock { $0[word] }
    }

    func store(_ ids: [Int32], for word: String) {
        entries.withLock { entries in
            if entries.count >= Self.capacity { entries.removeAll(keepingCapacity: true) }
            entries[word] = ids
        }
    }
}

extension CLIPTokenizer {
    /// NFC, then every run of whitespace replaced by one space, then lowercase, as the fast
    /// tokenizer's normaliser sequence does.
    static func normalize(_ text: String) -> String {
        let composed = text.precomposedStringWithCanonicalMapping
        var collapsed = String.UnicodeScalarView()
        var inWhitespace = false
        for scalar in composed.unicodeScalars {
            if scalar.properties.isWhitespace {
                if !inWhitespace { collapsed.append(" ") }
                inWhitespace = true
            } else {
                collapsed.append(scalar)
                inWhitespace = false
            }
        }
        return String(collapsed).lowercased()
    }

    /// Splits normalised text into words with CLIP's pattern
    /// `'s|'t|'re|'ve|'m|'ll|'d|[\p{L}]+|[\p{N}]|[^\s\p{L}\p{N}]+`, dropping whitespace.
    ///
    /// The alternatives are tried in that order at each position, so a contraction wins over a
    /// punctuation run only when the apostrophe starts the match.
    static func preTokenize(_ text: String) -> [String] {
        let scalars = Array(text.unicodeScalars)
        var words: [String] = []
        var index = 0
        while index < scalars.count {
            let start = index
            if let length = contractionLength(scalars, at: index) {
                index += length
            } else {
                switch ScalarClass(scalars[index]) {
                case .whitespace:
                    index += 1
                    continue
                case .number:
                    index += 1
                case .letter:
                    while index < scalars.count, ScalarClass(scalars[index]) == .letter { index += 1 }
                case .other:
                    while index < scalars.count, ScalarClass(scalars[index]) == .other { index += 1 }
                }
            }
            var word = String.UnicodeScalarView()
            word.append(contentsOf: scalars[start..<index])
            words.append(String(word))
        }
        return words
    }

    /// Returns the length of `'s`, `'t`, `'re`, `'ve`, `'m`, `'ll` or `'d` at `index`, nil when none starts there.
    private static func contractionLength(_ scalars: [Unicode.Scalar], at index: Int) -> Int? {
        guard scalars[index] == "'", index + 1 < scalars.count else { return nil }
        let next = scalars[index + 1]
        if next == "s" || next == "t" || next == "m" || next == "d" { return 2 }
        guard index + 2 < scalars.count else { return nil }
        let pair = (next, scalars[index + 2])
        if pair == ("r", "e") || pair == ("v", "e") || pair == ("l", "l") { return 3 }
        return nil
    }

    /// Runs BPE on one byte-mapped word, with `</w>` appended to its last symbol, and returns the ids.
    func bpe(word: [String]) -> [Int32] {
        let key = word.joined()
        if let cached = cache.ids(for: key) { return cached }
        var symbols = word
        guard !symbols.isEmpty else { return [] }
        symbols[symbols.count - 1] += "</w>"
        while symbols.count > 1, let best = lowestRankedPair(symbols) {
            symbols = merge(best, in: symbols)
        }
        // Every byte and byte+</w> is in CLIP's vocabulary; a symbol missing from a foreign
        // vocabulary maps to <|endoftext|>, the fast tokenizer's unknown token.
        let ids = symbols.map { vocabulary[$0] ?? endOfText }
        cache.store(ids, for: key)
        return ids
    }

    private func lowestRankedPair(_ symbols: [String]) -> SymbolPair? {
        var best: (rank: Int, pair: SymbolPair)?
        for index in 0..<(symbols.count - 1) {
            let pair = SymbolPair(left: symbols[index], right: symbols[index + 1])
            if let rank = mergeRanks[pair], rank < best?.rank ?? Int.max { best = (rank, pair) }
        }
        return best?.pair
    }

    /// Joins every non-overlapping occurrence of `pair`, left to right.
    private func merge(_ pair: SymbolPair, in symbols: [String]) -> [String] {
        var merged: [String] = []
        merged.reserveCapacity(symbols.count)
        var index = 0
        while index < symbols.count {
            if index + 1 < symbols.count, symbols[index] == pair.left, symbols[index + 1] == pair.right {
                merged.append(pair.left + pair.right)
                index += 2
            } else {
                merged.append(symbols[index])
                index += 1
            }
        }
        return merged
    }
}

/// The classes CLIP's pre-tokenizer pattern distinguishes: `\s`, `\p{L}`, `\p{N}` and the rest.
enum ScalarClass: Equatable {
    case whitespace, letter, number, other

    init(_ scalar: Unicode.Scalar) {
        let properties = scalar.properties
        if properties.isWhitespace {
            self = .whitespace
            return
        }
        switch properties.generalCategory {
        case .uppercaseLetter, .lowercaseLetter, .titlecaseLetter, .modifierLetter, .otherLetter:
            self = .letter
        case .decimalNumber, .letterNumber, .otherNumber:
            self = .number
        default:
            self = .other
        }
    }
}
