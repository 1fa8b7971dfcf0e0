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

    /// The file name without its last extension (`photo.jpg` -> `photo`, `.hidden` stays as is).
    public static func stem(of name: String) -> String {
        guard let dot = name.lastIndex(of: "."), dot != name.startIndex else { return name }
        return String(name[..<dot])
    }

    static func sanitized(_ name: String) -> String {
        var cleaned = String(name.map { $0 == "/" || $0 == "\0" || $0 == "\n" ? "_" : $0 })
        while cleaned.hasPrefix(".") || cleaned.hasPrefix("-") {
            cleaned = "_" + cleaned.dropFirst()
        }
        return cleaned.isEmpty ? "output" : cleaned
    }
}
