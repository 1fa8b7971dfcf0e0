import Foundation

/// A part of a prompt: plain text to normalise and segment, or a special token matched literally.
enum TextSegment: Equatable {
    case text(String)
    case special(Int32)

    /// Cuts `text` around occurrences of the special token strings, before any normalisation, as the
    /// tokenizers library matches added special tokens. The leftmost occurrence wins, and the
    /// longest token among those starting there.
    static func split(_ text: String, specials: [String: Int32]) -> [TextSegment] {
        var segments: [TextSegment] = []
        var rest = Substring(text)
        while !rest.isEmpty {
            var found: (range: Range<Substring.Index>, id: Int32)?
            for (token, id) in specials where !token.isEmpty {
                guard let range = rest.range(of: token) else { continue }
                if let best = found {
                    let earlier = range.lowerBound < best.range.lowerBound
                    let longer = range.lowerBound == best.range.lowerBound && range.upperBound > best.range.upperBound
                    guard earlier || longer else { continue }
                }
                found = (range, id)
            }
            guard let (range, id) = found else { break }
            if range.lowerBound > rest.startIndex { segments.append(.text(String(rest[..<range.lowerBound]))) }
            segments.append(.special(id))
            rest = rest[range.upperBound...]
        }
        if !rest.isEmpty { segments.append(.text(String(rest))) }
        return segments
    }
}
