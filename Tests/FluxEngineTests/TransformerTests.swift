import Foundation
import Testing

@testable import FluxEngine

/// Golden fixtures from a tiny random diffusers `FluxTransformer2DModel`, written by
/// scripts/fixtures/transformer_fixtures.py. The model has hidden size 32 (2 heads of 16), RoPE
/// axes (4, 6, 6), 2 double and 2 single blocks.
enum TransformerFixtures {
    static let directory = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .appendingPathComponent("Fixtures/transformer")

    static func file(_ name: String) throws -> SafeTensorsFile {
        try SafeTensorsFile(path: directory.appendingPathComponent(name).path)
    }

    static let axes = [4, 6, 6]
}

@Suite struct TransformerTests {
    /// Both sides compute in float32 but sum in different orders. The largest difference seen is
    /// 2.2e-6 of the largest value (the conditioning vector, whose sinusoids take arguments up to
    /// 2500), so 2e-5 leaves a tenfold margin. A dropped or wrong term moves values by 1e-2 or more.
    static let relativeTolerance: Float = 2e-5

    static func expectClose(_ actual: Tensor, _ expected: Tensor, _ label: String) {
        #expect(actual.shape == expected.shape, "\(label) shape")
        guard actual.shape == expected.shape else { return }
        let difference = actual.maxAbsoluteDifference(to: expected)
        let scale = max(expected.maxMagnitude, 1)
        #expect(difference <= relativeTolerance * scale, "\(label): max difference \(difference) at magnitude \(scale)")
    }

    @Test(arguments: ["weights-bfl.safetensors", "weights-diffusers.safetensors"])
    func configurationFromWeights(file: String) throws {
        let model = try FluxTransformer(weights: TransformerFixtures.file(file), axesDimensions: TransformerFixtures.axes)
        let expected = FluxTransformerConfiguration(
            hiddenSize: 32, heads: 2, headDimension: 16, doubleBlocks: 2, singleBlocks: 2, imageFeatures: 64,
            contextFeatures: 32, pooledFeatures: 16, mlpHiddenSize: 128, axesDimensions: [4, 6, 6],
            ropeTheta: 10_000, hasGuidanceEmbedding: true
        )
        #expect(model.configuration == expected)
    }

    @Test func diffusersNamesMapToBFLTensors() throws {
        let bfl = try TransformerFixtures.file("weights-bfl.safetensors")
        let mapped = try DiffusersFluxWeights(diffusers: TransformerFixtures.file("weights-diffusers.safetensors"))
        #expect(mapped.tensorNames == bfl.tensorNames)
        for name in bfl.tensorNames {
            #expect(try mapped.load(name) == bfl.load(name), "\(name)")
        }
    }

    @Test(arguments: ["square", "wide"], ["weights-bfl.safetensors", "weights-diffusers.safetensors"])
    func blocksMatchDiffusers(caseName: String, weightsFile: String) throws {
        let fixture = try TransformerFixtures.file("case-\(caseName).safetensors")
        var model = try FluxTransformer(weights: TransformerFixtures.file(weightsFile), axesDimensions: TransformerFixtures.axes)
        let recorded = BlockRecorder()
        model.blockObserver = { block, text, image in recorded.append(block, text, image) }
        let image = try fixture.load("image")

        let output = try model.velocity(
            image: image,
            imageIDs: fixture.load("image_ids"),
            text: fixture.load("text"),
            pooled: fixture.load("pooled"),
            timestep: fixture.load("timestep").storage[0],
            guidance: fixture.load("guidance").storage[0],
            targetCount: image.rowCount
        )
        let vector = try model.conditioningVector(
            timestep: fixture.load("timestep").storage[0],
            guidance: fixture.load("guidance").storage[0],
            pooled: fixture.load("pooled")
        )
        Self.expectClose(vector.reshaped([32]), try fixture.load("vec"), "conditioning vector")

        let blocks = recorded.blocks
        #expect(blocks.map(\.block) == [.double(0), .double(1), .single(0), .single(1)])
        for entry in blocks {
            let name: String
            switch entry.block {
            case .double(let index): name = "double\(index)"
            case .single(let index): name = "single\(index)"
            }
            Self.expectClose(entry.text, try fixture.load(name + ".txt"), name + " text")
            Self.expectClose(entry.image, try fixture.load(name + ".img"), name + " image")
        }
        Self.expectClose(output, try fixture.load("output"), "output")
    }

    @Test(arguments: ["square", "wide"])
    func velocityKeepsTargetRows(caseName: String) throws {
        let fixture = try TransformerFixtures.file("case-\(caseName).safetensors")
        let model = try FluxTransformer(weights: TransformerFixtures.file("weights-bfl.safetensors"), axesDimensions: TransformerFixtures.axes)
        let targetCount = Int(try fixture.load("target_count").storage[0])
        let output = try model.velocity(
            image: fixture.load("image"),
            imageIDs: fixture.load("image_ids"),
            text: fixture.load("text"),
            pooled: fixture.load("pooled"),
            timestep: fixture.load("timestep").storage[0],
            guidance: fixture.load("guidance").storage[0],
            targetCount: targetCount
        )
        Self.expectClose(output, try fixture.load("output").rows(0..<targetCount), "target rows")
    }

    @Test func quantizedGGUFMatchesDequantizedModel() throws {
        let fixture = try TransformerFixtures.file("case-square.safetensors")
        let path = TransformerFixtures.directory.appendingPathComponent("weights-q8_0.gguf").path
        let model = try FluxTransformer(weights: WeightFiles.open(path: path), axesDimensions: TransformerFixtures.axes)
        let image = try fixture.load("image")

        let output = try model.velocity(
            image: image,
            imageIDs: fixture.load("image_ids"),
            text: fixture.load("text"),
            pooled: fixture.load("pooled"),
            timestep: fixture.load("timestep").storage[0],
            guidance: fixture.load("guidance").storage[0],
            targetCount: image.rowCount
        )
        // The reference ran diffusers on the dequantized Q8_0 weights, so only reordering remains.
        Self.expectClose(output, try TransformerFixtures.file("q8_0-output.safetensors").load("output"), "Q8_0 output")
    }

    @Test func axesMustSumToHeadDimension() throws {
        let weights = try TransformerFixtures.file("weights-bfl.safetensors")
        #expect(throws: EngineError.invalidArgument(
            "RoPE axes [16, 56, 56] must be even and sum to the head dimension 16 read from 'double_blocks.0.img_attn.norm.query_norm.scale'; pass matching axes"
        )) {
            _ = try FluxTransformer(weights: weights)
        }
    }

    @Test func missingTensorIsNamed() throws {
        let file = try TransformerFixtures.file("weights-bfl.safetensors")
        var tensors: [String: Tensor] = [:]
        for name in file.tensorNames where name != "single_blocks.1.linear2.bias" { tensors[name] = try file.load(name) }
        #expect(throws: EngineError.missingTensor(name: "single_blocks.1.linear2.bias", file: "memory")) {
            _ = try FluxTransformer(weights: MemoryWeightStore(tensors), axesDimensions: TransformerFixtures.axes)
        }
    }

    @Test func unknownTensorIsNamed() throws {
        let file = try TransformerFixtures.file("weights-bfl.safetensors")
        var tensors: [String: Tensor] = [:]
        for name in file.tensorNames { tensors[name] = try file.load(name) }
        tensors["double_blocks.0.extra.weight"] = Tensor(shape: [1], storage: [0])
        #expect(throws: EngineError.unknownTensors(names: ["double_blocks.0.extra.weight"], file: "memory")) {
            _ = try FluxTransformer(weights: MemoryWeightStore(tensors), axesDimensions: TransformerFixtures.axes)
        }
    }

    @Test func comfyPrefixIsStripped() throws {
        let file = try TransformerFixtures.file("weights-bfl.safetensors")
        var tensors: [String: Tensor] = [:]
        for name in file.tensorNames { tensors["model.diffusion_model." + name] = try file.load(name) }
        let model = try FluxTransformer(weights: MemoryWeightStore(tensors), axesDimensions: TransformerFixtures.axes)
        #expect(model.configuration.doubleBlocks == 2)
        #expect(model.weights.contains("final_layer.linear.weight"))
    }
}

/// Collects the observer's reports; the observer may be called from the forward pass only.
final class BlockRecorder: @unchecked Sendable {
    // NOTE: @unchecked Sendable is safe because the transformer calls the observer sequentially on
    // the calling thread and the test reads the entries after `velocity` returns.
    struct Entry {
        var block: FluxTransformer.Block
        var text: Tensor
        var image: Tensor
    }

    private(set) var blocks: [Entry] = []

    func append(_ block: FluxTransformer.Block, _ text: Tensor, _ image: Tensor) {
        blocks.append(Entry(block: block, text: text, image: image))
    }
}
