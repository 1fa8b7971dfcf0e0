/// Expands an output file-name template such as `{name}-v{variant}.{ext}`.
///
/// Placeholders: `{name}` (input file name without its extension), `{ext}` (the output format's
/// extension), `{variant}` (1-based), `{seed}` and `{job}`. The result is a single path component:
/// slashes and leading dots are replaced so a template cannot write outside the outbox or hide a file.
public struct OutputNaming: Sendable {
    public static let defaultTemplate = "{name}.{ext}"
    public static let defaultVariantTemplate = "{name}-{variant}.{ext}"

    public var template: String

    public init(template: String) {
        self.template = template
    }

    public func fileName(inputName: String, fileExtension: String, variant: Int, seed: UInt64, jobID: String) -> String {
        var expanded = template
        let replacements = [
            ("{name}", Self.stem(of: inputName)),
            ("{ext}", fileExtension),
            ("{variant}", String(variant)),
            ("{seed}", String(seed)),
            ("{job}", jobID),
        ]
        for (placeholder, value) in replacements {
            expanded = expanded.replacing(placeholder, with: value)
        }
        return Self.sanitized(expanded)
    }

    /// Returns the file name without its last extension (`photo.jpg` -> `photo`, `.hidden` stays as is).
    public static func stem(of name: String) -> String {
        guard let dot = name.lastIndex(of: "."), dot != name.startIndex else { return name }
        return String(name[..<dot])
    }

    static func sanitized(_ name: String) -> String {
        var cleaned = String(name.map { $0 == "/" || $0 == "\0" || $0 == "\n" ? "_" : $0 })
        while cleaned.hasPrefix(".") || cleaned.hasPrefix("-") {
            cleaned = "_" + cleaned.dropFirst()
        }
        return shortened(cleaned.isEmpty ? "output" : cleaned)
    }

    /// The maximum length of a name the daemon writes, in UTF-8 bytes. File systems allow 255; the rest leaves
    /// room for a version suffix (`-2`) and for the `.job.json` and `.error.txt` companions.
    static let maxNameBytes = 200

    /// `name` cut in its stem (never in the extension, never inside a character) to at most
    /// `maxNameBytes` bytes.
    static func shortened(_ name: String, maxBytes: Int = maxNameBytes) -> String {
        guard name.utf8.count > maxBytes else { return name }
        let stem = Self.stem(of: name)
        let suffix = String(name.dropFirst(stem.count))
        var kept = ""
        for character in stem {
            guard kept.utf8.count + character.utf8.count + suffix.utf8.count <= maxBytes else { break }
            kept.append(character)
        }
        return kept + suffix
    }
}
