extension InstructionReader {
    static let sizeExpectation =
        "keep, kontext, WIDTHxHEIGHT such as 1024x768, an aspect ratio such as 16:9, "
        + "or a mapping with aspect, long_edge or megapixels"
    static let edgeRange = 16...8192
    static let aspectTermRange = 1...1000
    static let megapixelRange = 0.01...64.0

    /// Reads a size in any of its forms: a word, `WIDTHxHEIGHT`, `W:H`, or a mapping.
    mutating func readSize(_ node: YAMLNode, path: String) -> SizeSpec? {
        if node.pairs != nil { return readSizeMapping(node, path: path) }
        guard let text = node.scalarText, !node.isNull else {
            schema.reject(node, path: path, expected: Self.sizeExpectation)
            return nil
        }
        switch text {
        case "keep": return .keep
        case "kontext": return .kontext
        default: break
        }
        if let (width, height) = Self.splitIntegers(text, separator: "x") {
            guard Self.edgeRange.contains(width), Self.edgeRange.contains(height) else {
                schema.collector.error(
                    "invalid value '\(text)' for '\(path)': width and height must each be from "
                        + "\(Self.edgeRange.lowerBound) to \(Self.edgeRange.upperBound), for example '1024x768'",
                    at: node
                )
                return nil
            }
            return .exact(width: width, height: height)
        }
        if let (width, height) = readAspect(node, path: path, text: text) {
            return .aspect(width: width, height: height, longEdge: nil)
        }
        return nil
    }

    /// Parses `W:H`. A value of `size` that is not an aspect ratio is reported as not being any size form.
    private mutating func readAspect(_ node: YAMLNode, path: String, text: String) -> (Int, Int)? {
        guard let (width, height) = Self.splitIntegers(text, separator: ":") else {
            let isSizeKey = !path.hasSuffix(".aspect")
            schema.reject(
                node,
                path: path,
                expected: isSizeKey ? Self.sizeExpectation : "an aspect ratio such as '16:9'"
            )
            return nil
        }
        guard Self.aspectTermRange.contains(width), Self.aspectTermRange.contains(height) else {
            schema.collector.error(
                "invalid aspect ratio '\(text)' for '\(path)': both terms must be from "
                    + "\(Self.aspectTermRange.lowerBound) to \(Self.aspectTermRange.upperBound), for example '16:9'",
                at: node
            )
            return nil
        }
        return (width, height)
    }

    private mutating func readSizeMapping(_ node: YAMLNode, path: String) -> SizeSpec? {
        guard let fields = schema.fields(of: node, path: path, allowed: ["aspect", "long_edge", "megapixels"]) else {
            return nil
        }
        if let megapixelNode = fields["megapixels"] {
            guard fields.pairs.count == 1 else {
                schema.collector.error(
                    "'\(path).megapixels' cannot be combined with 'aspect' or 'long_edge'",
                    at: megapixelNode
                )
                return nil
            }
            return schema.number(
                megapixelNode,
                path: "\(path).megapixels",
                range: Self.megapixelRange,
                example: "megapixels: 1"
            ).map { .megapixels($0) }
        }

        let longEdge = fields["long_edge"].map {
            schema.integer($0, path: "\(path).long_edge", range: Self.edgeRange, example: "long_edge: 1024")
        }
        let aspect = fields["aspect"].map { aspectNode in
            readAspect(aspectNode, path: "\(path).aspect", text: aspectNode.isNull ? "" : aspectNode.scalarText ?? "")
        }
        switch (aspect, longEdge) {
        case (nil, nil):
            schema.collector.error("'\(path)' is empty; set aspect, long_edge or megapixels", at: node)
            return nil
        case (let aspect??, nil):
            return .aspect(width: aspect.0, height: aspect.1, longEdge: nil)
        case (let aspect??, let edge??):
            return .aspect(width: aspect.0, height: aspect.1, longEdge: edge)
        case (nil, let edge??):
            return .longEdge(edge)
        default:
            return nil
        }
    }

    /// Splits `"1024x768"` into two integers. Returns nil unless both sides are plain decimal digits.
    static func splitIntegers(_ text: String, separator: Character) -> (Int, Int)? {
        let parts = text.split(separator: separator, omittingEmptySubsequences: false)
        guard parts.count == 2, parts.allSatisfy({ !$0.isEmpty && $0.count <= 9 && $0.allSatisfy(\.isASCIIDigit) }),
            let first = Int(parts[0]), let second = Int(parts[1])
        else { return nil }
        return (first, second)
    }

    /// Reads `inpaint`: crop-and-stitch settings for masked edits.
    mutating func readInpaint(_ node: YAMLNode, path: String) -> InpaintSpec? {
        let keys = ["context", "blend", "grow", "target"]
        guard let fields = schema.fields(of: node, path: path, allowed: keys) else { return nil }
        var inpaint = InpaintSpec()
        if let value = fields["context"] {
            inpaint.context = schema.number(value, path: "\(path).context", range: 1...10, example: "context: 1.2")
        }
        if let value = fields["blend"] {
            inpaint.blend = schema.integer(value, path: "\(path).blend", range: 0...64, example: "blend: 16")
        }
        if let value = fields["grow"] {
            inpaint.grow = schema.integer(value, path: "\(path).grow", range: 0...1024, example: "grow: 8")
        }
        if let value = fields["target"] {
            inpaint.target = readSize(value, path: "\(path).target")
        }
        return inpaint
    }
}
