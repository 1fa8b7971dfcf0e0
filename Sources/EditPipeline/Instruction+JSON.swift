import Backends
import Recipes

extension ResolvedInstruction {
    /// The fully resolved instruction as JSON for the job log: every pass with its defaults filled in.
    var jsonObject: [String: JSONValue] {
        var object: [String: JSONValue] = [
            "passes": .array(passes.map { .object($0.jsonObject) }),
            "variants": .integer(Int64(variants)),
            "output": .object([
                "format": .string(output.format.rawValue),
                "quality": .integer(Int64(output.quality)),
                "name": .string(output.name),
                "keep_metadata": .bool(output.keepMetadata),
            ]),
        ]
        if let seed { object["seed"] = .string(String(seed)) }
        if let seeds { object["seeds"] = .array(seeds.map { .string(String($0)) }) }
        if let images { object["images"] = images.json }
        return object
    }
}

extension EditPass {
    fileprivate var jsonObject: [String: JSONValue] {
        var object: [String: JSONValue] = [
            "size": size.json,
            "steps": .integer(Int64(steps)),
            "guidance": .double(guidance),
            "inpaint": .object([
                "context": .double(inpaint.context),
                "blend": .integer(Int64(inpaint.blend)),
                "grow": .integer(Int64(inpaint.grow)),
                "target": inpaint.target.json,
            ]),
        ]
        if let prompt { object["prompt"] = .string(prompt) }
        if let mask { object["mask"] = mask.json }
        if let backend { object["backend"] = .string(backend) }
        return object
    }
}

extension MaskSpec {
    fileprivate var json: JSONValue {
        var object: [String: JSONValue] = [
            "invert": .bool(invert), "grow": .integer(Int64(grow)), "feather": .double(feather),
        ]
        switch source {
        case .file(let path): object["file"] = .string(path)
        case .alpha: object["alpha"] = .bool(true)
        case .shapes(let shapes): object["shapes"] = .array(shapes.map(\.json))
        }
        return .object(object)
    }
}

extension MaskShape {
    fileprivate var json: JSONValue {
        switch self {
        case .rect(let x, let y, let width, let height):
            .object(["rect": .array([.double(x), .double(y), .double(width), .double(height)])])
        case .ellipse(let centerX, let centerY, let radiusX, let radiusY):
            .object(["ellipse": .array([.double(centerX), .double(centerY), .double(radiusX), .double(radiusY)])])
        case .polygon(let points):
            .object(["polygon": .array(points.map { .array([.double($0.x), .double($0.y)]) })])
        }
    }
}

extension SizeSpec {
    fileprivate var json: JSONValue {
        switch self {
        case .keep: .string("keep")
        case .kontext: .string("kontext")
        case .exact(let width, let height): .string("\(width)x\(height)")
        case .aspect(let width, let height, let longEdge):
            longEdge.map { .object(["aspect": .string("\(width):\(height)"), "long_edge": .integer(Int64($0))]) }
                ?? .string("\(width):\(height)")
        case .longEdge(let edge): .object(["long_edge": .integer(Int64(edge))])
        case .megapixels(let megapixels): .object(["megapixels": .double(megapixels)])
        }
    }
}

extension ImageStitchSpec {
    fileprivate var json: JSONValue {
        .object([
            "paths": .array(paths.map { .string($0) }),
            "direction": .string(direction.rawValue),
            "match_size": .bool(matchSize),
            "spacing": .integer(Int64(spacing)),
            "spacing_color": .string(spacingColor.rawValue),
        ])
    }
}
