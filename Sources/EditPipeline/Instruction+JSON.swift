import Recipes

extension Instruction {
    /// The instruction as JSON for the job log, with the pipeline's defaults filled in.
    var jsonObject: [String: JSONValue] {
        var object = fieldsJSON
        object["steps"] = .integer(Int64(steps ?? InstructionDefaults.steps))
        object["guidance"] = .number(guidance ?? InstructionDefaults.guidance)
        if size == nil { object["size"] = .string("keep") }
        return object
    }

    private var fieldsJSON: [String: JSONValue] {
        var object: [String: JSONValue] = [:]
        if let prompt { object["prompt"] = .string(prompt) }
        if let mask { object["mask"] = mask.json }
        if let size { object["size"] = size.json }
        if let seed { object["seed"] = .string(String(seed)) }
        if let variants { object["variants"] = .integer(Int64(variants)) }
        if let seeds { object["seeds"] = .array(seeds.map { .string(String($0)) }) }
        if let steps { object["steps"] = .integer(Int64(steps)) }
        if let guidance { object["guidance"] = .number(guidance) }
        if let inpaint { object["inpaint"] = inpaint.json }
        if let images { object["images"] = images.json }
        if let chain { object["chain"] = .array(chain.map { .object($0.fieldsJSON) }) }
        if let backend { object["backend"] = .string(backend) }
        if let output { object["output"] = output.json }
        return object
    }
}

extension MaskSpec {
    fileprivate var json: JSONValue {
        var object: [String: JSONValue] = [
            "invert": .bool(invert), "grow": .integer(Int64(grow)), "feather": .number(feather),
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
            .object(["rect": .array([.number(x), .number(y), .number(width), .number(height)])])
        case .ellipse(let centerX, let centerY, let radiusX, let radiusY):
            .object(["ellipse": .array([.number(centerX), .number(centerY), .number(radiusX), .number(radiusY)])])
        case .polygon(let points):
            .object(["polygon": .array(points.map { .array([.number($0.x), .number($0.y)]) })])
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
        case .megapixels(let megapixels): .object(["megapixels": .number(megapixels)])
        }
    }
}

extension InpaintSpec {
    fileprivate var json: JSONValue {
        var object: [String: JSONValue] = [:]
        if let context { object["context"] = .number(context) }
        if let blend { object["blend"] = .integer(Int64(blend)) }
        if let grow { object["grow"] = .integer(Int64(grow)) }
        if let target { object["target"] = target.json }
        return .object(object)
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

extension OutputSpec {
    fileprivate var json: JSONValue {
        var object: [String: JSONValue] = [:]
        if let format { object["format"] = .string(format.rawValue) }
        if let quality { object["quality"] = .integer(Int64(quality)) }
        if let name { object["name"] = .string(name) }
        if let keepMetadata { object["keep_metadata"] = .bool(keepMetadata) }
        return .object(object)
    }
}
