extension InstructionReader {
    static let maskKeys = ["file", "alpha", "shapes", "invert", "grow", "feather"]
    static let maxShapes = 256
    static let maxPolygonPoints = 1000
    /// Largest shape coordinate accepted: the largest output edge (8192) with room for shapes partly outside.
    static let maxCoordinate = 65_536.0

    /// Reads `mask`: a path, the word `alpha`, a list of shapes, or a mapping with options.
    mutating func readMask(_ node: YAMLNode, path: String) -> MaskSpec? {
        switch node.content {
        case .scalar(let text, _) where !node.isNull:
            guard text != "alpha" else { return MaskSpec(source: .alpha) }
            return readMaskFile(node, path: path).map { MaskSpec(source: .file($0)) }
        case .sequence:
            return readShapes(node, path: path).map { MaskSpec(source: .shapes($0)) }
        case .mapping:
            return readMaskMapping(node, path: path)
        default:
            schema.reject(node, path: path, expected: "a mask file path, 'alpha', a list of shapes, or a mapping")
            return nil
        }
    }

    private mutating func readMaskMapping(_ node: YAMLNode, path: String) -> MaskSpec? {
        guard let fields = schema.fields(of: node, path: path, allowed: Self.maskKeys) else { return nil }
        let sources = ["file", "alpha", "shapes"].filter { fields[$0] != nil }
        guard sources.count == 1 else {
            let found = sources.isEmpty ? "none" : sources.map { "'\($0)'" }.joined(separator: " and ")
            schema.collector.error(
                "'\(path)' needs exactly one of 'file', 'alpha' or 'shapes', found \(found)",
                at: node
            )
            return nil
        }

        let source: MaskSpec.Source?
        switch sources[0] {
        case "file": source = fields["file"].flatMap { readMaskFile($0, path: "\(path).file") }.map { .file($0) }
        case "alpha": source = fields["alpha"].flatMap { readAlphaFlag($0, path: "\(path).alpha") }
        default: source = fields["shapes"].flatMap { readShapes($0, path: "\(path).shapes") }.map { .shapes($0) }
        }
        var mask = source.map { MaskSpec(source: $0) }
        if let value = fields["invert"], let invert = schema.bool(value, path: "\(path).invert") {
            mask?.invert = invert
        }
        if let value = fields["grow"],
            let grow = schema.integer(value, path: "\(path).grow", range: 0...1024, example: "grow: 8")
        {
            mask?.grow = grow
        }
        if let value = fields["feather"],
            let feather = schema.number(value, path: "\(path).feather", range: 0...256, example: "feather: 4")
        {
            mask?.feather = feather
        }
        return mask
    }

    private mutating func readAlphaFlag(_ node: YAMLNode, path: String) -> MaskSpec.Source? {
        guard let flag = schema.bool(node, path: path) else { return nil }
        guard flag else {
            schema.collector.error("'\(path)' can only be true; remove the mask to edit the whole image", at: node)
            return nil
        }
        return .alpha
    }

    /// Reads a mask path, which only a sidecar may name.
    private mutating func readMaskFile(_ node: YAMLNode, path: String) -> String? {
        guard kind == .sidecar else {
            schema.collector.error(
                "a recipe cannot name a mask file, because every image in an inbox becomes a job of its own; "
                    + "use 'alpha' or shapes here, or name the mask in each sidecar",
                at: node
            )
            return nil
        }
        return readRelativePath(node, path: path)
    }

    /// Reads a path relative to the sidecar. It is checked against the inbox only when `location` is set.
    mutating func readRelativePath(_ node: YAMLNode, path: String) -> String? {
        guard let text = schema.string(node, path: path, expected: "a file path relative to the sidecar") else {
            return nil
        }
        guard !text.hasPrefix("/") else {
            schema.collector.error(
                "'\(path)' is the absolute path '\(text)'; write it relative to the sidecar's folder",
                at: node
            )
            return nil
        }
        if let location {
            do {
                _ = try SidecarPaths.resolve(text, sidecarDirectory: location.directory, inboxRoot: location.inboxRoot)
            } catch {
                schema.collector.error("invalid '\(path)': \(error)", at: node)
                return nil
            }
        }
        return text
    }

    private mutating func readShapes(_ node: YAMLNode, path: String) -> [MaskShape]? {
        let expected = "a list of 1 to \(Self.maxShapes) shapes such as '{rect: [x, y, width, height]}'"
        guard let items = schema.list(node, path: path, expected: expected) else { return nil }
        guard (1...Self.maxShapes).contains(items.count) else {
            schema.collector.error("'\(path)' has \(items.count) shapes; expected \(expected)", at: node)
            return nil
        }
        let shapes = items.enumerated().map { readShape($1, path: "\(path)[\($0 + 1)]") }
        return shapes.contains(nil) ? nil : shapes.compactMap { $0 }
    }

    private mutating func readShape(_ node: YAMLNode, path: String) -> MaskShape? {
        guard let fields = schema.fields(of: node, path: path, allowed: ["rect", "ellipse", "polygon"]) else {
            return nil
        }
        guard fields.pairs.count == 1, let pair = fields.pairs.first else {
            if fields.pairs.count > 1 {
                schema.collector.error(
                    "'\(path)' has \(fields.pairs.count) shapes; write one shape per list item",
                    at: node
                )
            } else if node.pairs?.isEmpty ?? false {
                schema.collector.error("'\(path)' is empty; expected one of rect, ellipse or polygon", at: node)
            }
            return nil
        }
        let shapePath = "\(path).\(pair.name)"
        switch pair.name {
        case "rect":
            let names = ["x", "y", "width", "height"]
            guard let v = readNumbers(pair.value, path: shapePath, names: names), positive(v[2...], shapePath, node)
            else {
                return nil
            }
            return .rect(x: v[0], y: v[1], width: v[2], height: v[3])
        case "ellipse":
            let names = ["center_x", "center_y", "radius_x", "radius_y"]
            guard let v = readNumbers(pair.value, path: shapePath, names: names), positive(v[2...], shapePath, node)
            else {
                return nil
            }
            return .ellipse(centerX: v[0], centerY: v[1], radiusX: v[2], radiusY: v[3])
        default:
            return readPolygon(pair.value, path: shapePath)
        }
    }

    private mutating func positive(_ sizes: ArraySlice<Double>, _ path: String, _ node: YAMLNode) -> Bool {
        guard sizes.allSatisfy({ $0 > 0 }) else {
            schema.collector.error("'\(path)' has a zero size; its last two numbers must be greater than 0", at: node)
            return false
        }
        return true
    }

    /// Reads a fixed-length list of coordinates such as `[x, y, width, height]`.
    private mutating func readNumbers(_ node: YAMLNode, path: String, names: [String]) -> [Double]? {
        let expected =
            "[\(names.joined(separator: ", "))] with \(names.count) numbers from 0 to \(Int(Self.maxCoordinate))"
        guard let items = node.items, items.count == names.count else {
            let found = node.items.map { ", found \($0.count) numbers" } ?? ""
            schema.collector.error("invalid value for '\(path)': expected \(expected)\(found)", at: node)
            return nil
        }
        let numbers = items.enumerated().map { index, item in
            schema.number(
                item,
                path: "\(path).\(names[index])",
                range: 0...Self.maxCoordinate,
                example: "\(names[index]): 100"
            )
        }
        return numbers.contains(nil) ? nil : numbers.compactMap { $0 }
    }

    private mutating func readPolygon(_ node: YAMLNode, path: String) -> MaskShape? {
        let expected = "a list of 3 to \(Self.maxPolygonPoints) points such as [[0, 0], [100, 0], [50, 80]]"
        guard let items = node.items, (3...Self.maxPolygonPoints).contains(items.count) else {
            let found = node.items.map { ", found \($0.count) points" } ?? ""
            schema.collector.error("invalid value for '\(path)': expected \(expected)\(found)", at: node)
            return nil
        }
        let points = items.enumerated().map { index, item in
            readNumbers(item, path: "\(path)[\(index + 1)]", names: ["x", "y"]).map {
                MaskShape.Point(x: $0[0], y: $0[1])
            }
        }
        return points.contains(nil) ? nil : .polygon(points.compactMap { $0 })
    }
}
