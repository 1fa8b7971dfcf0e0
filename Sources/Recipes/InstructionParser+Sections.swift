extension InstructionReader {
    static let maxStitchImages = 8

    /// Reads `images`: a list of paths, or a mapping with paths and stitch options.
    mutating func readImages(_ node: YAMLNode, path: String) -> ImageStitchSpec? {
        guard kind == .sidecar else {
            schema.collector.error(
                "a recipe cannot name images to stitch, because every image in an inbox becomes a job of its own; "
                    + "list them in the sidecar",
                at: node
            )
            return nil
        }
        if node.items != nil {
            return readImagePaths(node, path: path).map { ImageStitchSpec(paths: $0) }
        }
        let keys = ["paths", "direction", "match_size", "spacing", "spacing_color"]
        guard let fields = schema.fields(of: node, path: path, allowed: keys) else { return nil }
        guard let pathsNode = fields["paths"] else {
            schema.collector.error("'\(path)' needs 'paths', the list of images to stitch", at: node)
            return nil
        }

        var spec = readImagePaths(pathsNode, path: "\(path).paths").map { ImageStitchSpec(paths: $0) }
        if let value = fields["direction"],
            let direction = schema.choice(value, path: "\(path).direction", as: ImageStitchSpec.Direction.self)
        {
            spec?.direction = direction
        }
        if let value = fields["match_size"], let match = schema.bool(value, path: "\(path).match_size") {
            spec?.matchSize = match
        }
        if let value = fields["spacing"],
            let spacing = schema.integer(value, path: "\(path).spacing", range: 0...1024, example: "spacing: 8")
        {
            spec?.spacing = spacing
        }
        if let value = fields["spacing_color"],
            let color = schema.choice(value, path: "\(path).spacing_color", as: ImageStitchSpec.SpacingColor.self)
        {
            spec?.spacingColor = color
        }
        return spec
    }

    private mutating func readImagePaths(_ node: YAMLNode, path: String) -> [String]? {
        let expected = "a list of 1 to \(Self.maxStitchImages) image paths relative to the sidecar"
        guard let items = schema.list(node, path: path, expected: expected) else { return nil }
        guard (1...Self.maxStitchImages).contains(items.count) else {
            schema.collector.error("'\(path)' lists \(items.count) images; expected \(expected)", at: node)
            return nil
        }
        let paths = items.enumerated().map { readRelativePath($1, path: "\(path)[\($0 + 1)]") }
        return paths.contains(nil) ? nil : paths.compactMap { $0 }
    }

    /// Reads `output`: format, quality, file-name template and metadata handling.
    mutating func readOutput(_ node: YAMLNode, path: String) -> OutputSpec? {
        let keys = ["format", "quality", "name", "keep_metadata"]
        guard let fields = schema.fields(of: node, path: path, allowed: keys) else { return nil }
        var output = OutputSpec()
        if let value = fields["format"] {
            output.format = schema.choice(value, path: "\(path).format", as: OutputSpec.Format.self)
        }
        if let value = fields["quality"] {
            output.quality = schema.integer(value, path: "\(path).quality", range: 1...100, example: "quality: 90")
        }
        if let value = fields["name"], let template = schema.string(value, path: "\(path).name") {
            if let problem = OutputNameTemplate.problem(in: template) {
                schema.collector.error("invalid value '\(template)' for '\(path).name': \(problem)", at: value)
            } else {
                output.name = template
            }
        }
        if let value = fields["keep_metadata"] {
            output.keepMetadata = schema.bool(value, path: "\(path).keep_metadata")
        }
        return output
    }

    /// Reads `intake`, which steers the hot folder and so belongs in recipes only.
    mutating func readIntake(_ node: YAMLNode, path: String) -> IntakeSpec? {
        guard kind == .recipe else {
            schema.collector.error(
                "'\(path)' is only allowed in a folder recipe (kontextd.recipe.yaml), because it decides when "
                    + "a sidecar is read; move it there",
                at: node
            )
            return nil
        }
        let keys = ["sidecar_required", "sidecar_wait", "settle"]
        guard let fields = schema.fields(of: node, path: path, allowed: keys) else { return nil }
        var intake = IntakeSpec()
        if let value = fields["sidecar_required"] {
            intake.sidecarRequired = schema.bool(value, path: "\(path).sidecar_required")
        }
        if let value = fields["sidecar_wait"] {
            intake.sidecarWaitSeconds = schema.number(
                value,
                path: "\(path).sidecar_wait",
                range: 0...86_400,
                example: "sidecar_wait: 30"
            )
        }
        if let value = fields["settle"] {
            intake.settleSeconds = schema.number(value, path: "\(path).settle", range: 0...3600, example: "settle: 2")
        }
        return intake
    }
}

/// Output file-name templates such as `{name}-edited.{ext}`.
public enum OutputNameTemplate {
    /// The placeholders a template may use.
    public static let placeholders = ["name", "ext", "variant", "seed", "job"]

    /// Describes what is wrong with a template, or returns nil when it is valid.
    static func problem(in template: String) -> String? {
        guard !template.contains("/") else { return "a file name cannot contain '/'; outputs go to the outbox folder" }
        var rest = Substring(template)
        while let open = rest.firstIndex(where: { $0 == "{" || $0 == "}" }) {
            guard rest[open] == "{", let close = rest[open...].firstIndex(of: "}") else {
                return "unbalanced '{' or '}'; placeholders are \(placeholderList)"
            }
            let name = String(rest[rest.index(after: open)..<close])
            guard placeholders.contains(name) else {
                let hint = KeySuggestion.closest(to: name, among: placeholders).map { "; did you mean '{\($0)}'?" }
                return "unknown placeholder '{\(name)}'" + (hint ?? "; placeholders are \(placeholderList)")
            }
            rest = rest[rest.index(after: close)...]
        }
        return nil
    }

    static var placeholderList: String { placeholders.map { "{\($0)}" }.joined(separator: " ") }

    /// Returns whether the template gives each variant its own name.
    static func distinguishesVariants(_ template: String) -> Bool {
        template.contains("{variant}") || template.contains("{seed}")
    }

    static func missingVariantMessage(_ template: String, variants: Int) -> String {
        "output name '\(template)' gives all \(variants) variants the same name; add {variant} or {seed}"
    }
}
