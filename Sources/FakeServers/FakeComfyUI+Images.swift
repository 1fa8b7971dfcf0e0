import Backends
import Imaging
import Synchronization

extension FakeComfyUI {
    /// An error from producing the output image; the fake reports it as `execution_error`.
    enum ImageError: Error, CustomStringConvertible {
        case noLoadImage
        case undecodable(String, any Error)

        var description: String {
            switch self {
            case .noLoadImage: "the graph has no LoadImage node"
            case .undecodable(let name, let error): "cannot identify image file '\(name)': \(error)"
            }
        }
    }

    /// Produces the images of every `SaveImage` node; returns their `outputs` entries for history.
    func saveOutputs(_ graph: JSONValue, only outputsToExecute: [String]) throws -> [String: JSONValue] {
        // Only nodes that an executed output reads from take part, as in ComfyUI.
        let allNodes = graph.objectValue ?? [:]
        let used = outputsToExecute.reduce(into: Set<String>()) { $0.formUnion(upstream(of: $1, in: allNodes)) }
        let nodes = allNodes.filter { used.contains($0.key) }
        guard let source = firstNode(nodes, "LoadImage"), let sourceName = source["inputs"]?["image"]?.stringValue
        else {
            throw ImageError.noLoadImage
        }
        let image = try loadImage(sourceName)
        let mask = try firstNode(nodes, "LoadImageMask")?["inputs"]?["image"]?.stringValue.map(loadImage)
        var result = Self.invert(image, where: mask)
        if let latent = firstNode(nodes, "EmptySD3LatentImage")?["inputs"],
            let width = latent["width"]?.integerValue, let height = latent["height"]?.integerValue
        {
            result = Self.resizeNearest(result, width: Int(width), height: Int(height))
        }
        let png = state.withLock { $0.settings.encodeOutput }(result)

        var outputs: [String: JSONValue] = [:]
        for id in outputsToExecute where nodes[id]?["class_type"]?.stringValue == "SaveImage" {
            let prefix = nodes[id]?["inputs"]?["filename_prefix"]?.stringValue ?? "ComfyUI"
            let (subfolder, filename) = state.withLock { state in
                let counter = (state.fileCounters[prefix] ?? 0) + 1
                state.fileCounters[prefix] = counter
                let slash = prefix.lastIndex(of: "/")
                let subfolder = slash.map { String(prefix[..<$0]) } ?? ""
                let base = slash.map { String(prefix[prefix.index(after: $0)...]) } ?? prefix
                let filename =
                    "\(base)_\(String(repeating: "0", count: max(0, 5 - String(counter).count)))\(counter)_.png"
                state.outputs[join(subfolder, filename)] = png
                return (subfolder, filename)
            }
            outputs[id] = .object([
                "images": .array([
                    .object([
                        "filename": .string(filename), "subfolder": .string(subfolder), "type": .string("output"),
                    ])
                ])
            ])
        }
        return outputs
    }

    private func firstNode(_ nodes: [String: JSONValue], _ classType: String) -> JSONValue? {
        nodes.keys.sorted().first { nodes[$0]?["class_type"]?.stringValue == classType }.flatMap { nodes[$0] }
    }

    private func loadImage(_ name: String) throws -> Image {
        let bytes = state.withLock { $0.inputs[name] } ?? []
        do {
            return try state.withLock { $0.settings.decodeUpload }(bytes)
        } catch {
            throw ImageError.undecodable(name, error)
        }
    }

    /// Inverts the RGB colours (the fake's visible "edit"); with a mask, only where it is 128 or more.
    /// The result is RGB, as `SaveImage` writes it.
    static func invert(_ image: Image, where mask: Image?) -> Image {
        var pixels = [UInt8](repeating: 0, count: image.width * image.height * 3)
        let channels = image.layout.channels
        for index in 0..<(image.width * image.height) {
            let edit = mask.map { Int(maskValue($0, pixel: index, of: image)) >= 128 } ?? true
            for channel in 0..<3 {
                let sourceChannel = channels >= 3 ? channel : 0
                let value = image.pixels[index * channels + sourceChannel]
                pixels[index * 3 + channel] = edit ? 255 - value : value
            }
        }
        return Image(width: image.width, height: image.height, layout: .rgb, pixels: pixels)
    }

    private static func maskValue(_ mask: Image, pixel index: Int, of image: Image) -> UInt8 {
        let x = (index % image.width) * mask.width / image.width
        let y = (index / image.width) * mask.height / image.height
        return mask.pixels[(y * mask.width + x) * mask.layout.channels]
    }

    static func resizeNearest(_ image: Image, width: Int, height: Int) -> Image {
        let channels = image.layout.channels
        var pixels = [UInt8](repeating: 0, count: width * height * channels)
        for y in 0..<height {
            let sourceY = y * image.height / height
            for x in 0..<width {
                let sourceX = x * image.width / width
                for channel in 0..<channels {
                    pixels[(y * width + x) * channels + channel] =
                        image.pixels[(sourceY * image.width + sourceX) * channels + channel]
                }
            }
        }
        return Image(width: width, height: height, layout: image.layout, pixels: pixels)
    }
}
