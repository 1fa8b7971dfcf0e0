import Foundation
import Testing

@testable import FluxEngine

/// Compares the T5 encoder with transformers' T5EncoderModel on a tiny random gated-GELU model
/// (d_model 64, 4 heads of 16, d_ff 128, 2 blocks, 32 buckets) with random norm weights.
/// The 160 input tokens end in 0-id padding, and their distances pass the maximum distance of 128.
@Suite struct TextEncoderT5Tests {
    static func fixture() throws -> (weights: SafeTensorsFile, outputs: SafeTensorsFile, tokens: [Int32]) {
        let weights = try SafeTensorsFile(path: TextFixtures.path("t5_encoder/weights.safetensors"))
        let outputs = try SafeTensorsFile(path: TextFixtures.path("t5_encoder/outputs.safetensors"))
        let tokens = try outputs.load("input_ids").storage.map { Int32($0) }
        return (weights, outputs, tokens)
    }

    /// Float32 against float32 with other summation orders differs by about 1e-6 of the magnitude
    /// (4.8e-6 absolute measured). 2e-5 leaves margin, while a wrong bucket or a missing gate
    /// shows at 1e-2 or more.
    static func tolerance(_ reference: Tensor) -> Float {
        2e-5 * max(1, reference.maxMagnitude)
    }

    @Test func everyBlockMatchesTransformers() throws {
        let (weights, outputs, tokens) = try Self.fixture()
        let encoder = try T5Encoder(weights: weights)
        var observed: [Int: Tensor] = [:]
        let result = try encoder.encode(tokens: tokens) { block, hidden in observed[block] = hidden }
        #expect(observed.count == 2)
        for block in 0..<2 {
            let reference = try outputs.load("block.\(block)")
            let difference = try #require(observed[block]).maxAbsoluteDifference(to: reference)
            #expect(difference <= Self.tolerance(reference), "block \(block) differs by \(difference)")
        }
        let last = try outputs.load("last_hidden_state")
        #expect(result.shape == [160, 64])
        #expect(result.maxAbsoluteDifference(to: last) <= Self.tolerance(last))
    }

    @Test func sizesComeFromTheWeights() throws {
        let encoder = try T5Encoder(weights: Self.fixture().weights)
        #expect(encoder.modelWidth == 64)
        #expect(encoder.heads == 4)
        #expect(encoder.headWidth == 16)
        #expect(encoder.feedForwardWidth == 128)
        #expect(encoder.blockCount == 2)
        #expect(encoder.bucketCount == 32)
        #expect(encoder.vocabularySize == 300)
    }

    @Test func bucketsMatchTransformers() throws {
        let reference = try Self.fixture().outputs.load("relative_buckets").storage.map { Int($0) }
        let computed = (-600...600).map { RelativePositionBias.bucket($0, buckets: 32, maximumDistance: 128) }
        #expect(computed == reference)
    }

    @Test func ggufNamesGiveTheSameResult() throws {
        let (weights, outputs, tokens) = try Self.fixture()
        var renamed: [String: Tensor] = [:]
        for name in weights.tensorNames {
            let ggufName = try #require(T5GGUFNames.ggufName(name), "no GGUF name for \(name)")
            renamed[ggufName] = try weights.load(name)
        }
        #expect(renamed["enc.blk.1.ffn_gate.weight"] != nil)
        #expect(renamed["token_embd.weight"] != nil)
        let encoder = try T5Encoder(weights: MemoryWeightStore(renamed, origin: "t5.gguf"))
        #expect(encoder.blockCount == 2)
        let last = try outputs.load("last_hidden_state")
        #expect(try encoder.encode(tokens: tokens).maxAbsoluteDifference(to: last) <= Self.tolerance(last))
    }

    @Test func ggufFileMatchesTransformers() throws {
        let (_, outputs, tokens) = try Self.fixture()
        let file = try WeightFiles.open(path: TextFixtures.path("t5_encoder/weights.gguf"))
        #expect(file is GGUFFile)
        let encoder = try T5Encoder(weights: file)
        #expect(encoder.heads == 4)
        #expect(encoder.blockCount == 2)
        var observed: [Int: Tensor] = [:]
        let result = try encoder.encode(tokens: tokens) { block, hidden in observed[block] = hidden }
        let block0 = try outputs.load("block.0")
        #expect(try #require(observed[0]).maxAbsoluteDifference(to: block0) <= Self.tolerance(block0))
        let last = try outputs.load("last_hidden_state")
        #expect(result.maxAbsoluteDifference(to: last) <= Self.tolerance(last))
    }

    @Test(arguments: [
        ("encoder.block.3.layer.0.SelfAttention.relative_attention_bias.weight", "enc.blk.3.attn_rel_b.weight"),
        ("encoder.block.12.layer.1.DenseReluDense.wo.weight", "enc.blk.12.ffn_down.weight"),
        ("encoder.block.0.layer.1.layer_norm.weight", "enc.blk.0.ffn_norm.weight"),
        ("encoder.final_layer_norm.weight", "enc.output_norm.weight"),
    ])
    func ggufNameMappingRoundTrips(_ huggingFace: String, _ gguf: String) {
        #expect(T5GGUFNames.ggufName(huggingFace) == gguf)
        #expect(T5GGUFNames.huggingFaceName(gguf) == huggingFace)
    }

    @Test func paddingTakesPartInAttention() throws {
        let (weights, outputs, tokens) = try Self.fixture()
        let encoder = try T5Encoder(weights: weights)
        let withoutPadding = try encoder.encode(tokens: Array(tokens.prefix(101)))
        let full = try outputs.load("last_hidden_state").rows(0..<101)
        #expect(withoutPadding.maxAbsoluteDifference(to: full) > 100 * Self.tolerance(full))
    }

    @Test func tokenOutsideVocabularyIsRejected() throws {
        let encoder = try T5Encoder(weights: Self.fixture().weights)
        #expect(throws: EngineError.invalidArgument(
            "token id 32000 at position 0 is outside T5's vocabulary of 300; use the tokenizer that matches the weights"
        )) {
            try encoder.encode(tokens: [32000, 1])
        }
    }

    @Test func storeWithoutBiasTableIsRejected() throws {
        let weights = try Self.fixture().weights
        var tensors: [String: Tensor] = [:]
        for name in weights.tensorNames where !name.contains("relative_attention_bias") {
            tensors[name] = try weights.load(name)
        }
        #expect(throws: EngineError.missingTensor(name: T5Encoder.biasName, file: "partial")) {
            try T5Encoder(weights: MemoryWeightStore(tensors, origin: "partial"))
        }
    }
}
