import Foundation
import Testing

@testable import FluxEngine

/// Compares the CLIP text encoder with transformers' CLIPTextModel on a tiny random model
/// (hidden 64, 4 heads, 2 layers, vocabulary 300) whose norm weights and biases are random too.
@Suite struct TextEncoderCLIPTests {
    static func fixture() throws -> (encoder: CLIPTextEncoder, outputs: SafeTensorsFile, tokens: [Int32]) {
        let weights = try SafeTensorsFile(path: TextFixtures.path("clip_encoder/weights.safetensors"))
        let outputs = try SafeTensorsFile(path: TextFixtures.path("clip_encoder/outputs.safetensors"))
        let tokens = try outputs.load("input_ids").storage.map { Int32($0) }
        return (try CLIPTextEncoder(weights: weights, heads: 4), outputs, tokens)
    }

    /// Float32 against float32 with other summation orders (OpenBLAS against PyTorch's kernels,
    /// Double sums in LayerNorm) differs by about 1e-6 of the magnitude (1.9e-6 absolute measured).
    /// 2e-5 leaves margin, while a wrong term such as a dropped bias shows at 1e-2 or more.
    static func tolerance(_ reference: Tensor) -> Float {
        2e-5 * max(1, reference.maxMagnitude)
    }

    @Test func everyLayerMatchesTransformers() throws {
        let (encoder, outputs, tokens) = try Self.fixture()
        var observed: [Int: Tensor] = [:]
        let result = try encoder.encode(tokens: tokens) { index, hidden in observed[index] = hidden }
        #expect(observed.count == 3)
        for index in 0...2 {
            let reference = try outputs.load("hidden_states.\(index)")
            let difference = try #require(observed[index]).maxAbsoluteDifference(to: reference)
            #expect(difference <= Self.tolerance(reference), "hidden state \(index) differs by \(difference)")
        }
        let last = try outputs.load("last_hidden_state")
        #expect(result.lastHiddenState.maxAbsoluteDifference(to: last) <= Self.tolerance(last))
        let pooled = try outputs.load("pooled")
        #expect(result.pooled.shape == [64])
        #expect(result.pooled.maxAbsoluteDifference(to: pooled) <= Self.tolerance(pooled))
    }

    @Test func textModelPrefixIsAccepted() throws {
        let (encoder, outputs, tokens) = try Self.fixture()
        var prefixed: [String: Tensor] = [:]
        for name in encoder.weights.tensorNames { prefixed["text_model." + name] = try encoder.weights.load(name) }
        let clipL = try CLIPTextEncoder(weights: MemoryWeightStore(prefixed, origin: "clip_l.safetensors"), heads: 4)
        #expect(clipL.prefix == "text_model.")
        let pooled = try outputs.load("pooled")
        #expect(try clipL.pooled(tokens: tokens).maxAbsoluteDifference(to: pooled) <= Self.tolerance(pooled))
    }

    @Test func rowGatherMatchesFullLoad() throws {
        let (encoder, _, _) = try Self.fixture()
        let name = "embeddings.token_embedding.weight"
        let indices = [299, 0, 17, 17, 250]
        let gathered = try encoder.weights.gatherRows(name, indices: indices)
        let table = try encoder.weights.load(name)
        let expected = Tensor.concatenatingRows(indices.map { table.rows($0..<($0 + 1)) })
        #expect(gathered == expected)
        let memory = MemoryWeightStore([name: table])
        #expect(try memory.gatherRows(name, indices: indices) == expected)
        let prefixed = PrefixedWeightStore(base: MemoryWeightStore(["text_model." + name: table]), prefix: "text_model.")
        #expect(try prefixed.gatherRows(name, indices: indices) == expected)
    }

    @Test func rowGatherReadsHalfPrecisionRows() throws {
        let folder = try TextFixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: folder) }
        // A 3 × 2 F16 table holding 1, 2, 3, 4, 5, 6 (0x3C00 is 1.0, 0x4000 is 2.0, ...).
        let header = Data(#"{"t":{"dtype":"F16","shape":[3,2],"data_offsets":[0,12]}}"#.utf8)
        var file = Data()
        withUnsafeBytes(of: UInt64(header.count).littleEndian) { file.append(contentsOf: $0) }
        file.append(header)
        for bits: UInt16 in [0x3C00, 0x4000, 0x4200, 0x4400, 0x4500, 0x4600] {
            withUnsafeBytes(of: bits.littleEndian) { file.append(contentsOf: $0) }
        }
        let path = folder.appendingPathComponent("table.safetensors")
        try file.write(to: path)
        let store = try SafeTensorsFile(path: path.path)
        #expect(try store.gatherRows("t", indices: [2, 0, 2]) == Tensor(shape: [3, 2], storage: [5, 6, 1, 2, 5, 6]))
    }

    @Test func rowGatherOutsideTableIsRejected() throws {
        let (encoder, _, _) = try Self.fixture()
        #expect(throws: EngineError.invalidArgument(
            "row 300 of tensor 'embeddings.token_embedding.weight' is outside its 300 rows"
        )) {
            try encoder.weights.gatherRows("embeddings.token_embedding.weight", indices: [1, 300])
        }
    }

    @Test func pooledRowIsTheFirstEndToken() throws {
        let (encoder, _, tokens) = try Self.fixture()
        let firstEnd = try #require(tokens.firstIndex(of: 299))
        #expect(CLIPTextEncoder.firstArgmax(tokens) == firstEnd)
        let result = try encoder.encode(tokens: tokens)
        #expect(result.pooled.storage == result.lastHiddenState.rows(firstEnd..<(firstEnd + 1)).storage)
        #expect(result.pooled.storage != result.lastHiddenState.rows((firstEnd + 1)..<(firstEnd + 2)).storage)
    }

    @Test func sizesComeFromTheWeights() throws {
        let (encoder, _, _) = try Self.fixture()
        #expect(encoder.hiddenSize == 64)
        #expect(encoder.layerCount == 2)
        #expect(encoder.vocabularySize == 300)
        #expect(encoder.maximumLength == 77)
        let defaultHeads = try CLIPTextEncoder(weights: encoder.weights)
        #expect(defaultHeads.heads == 1)
    }

    @Test func headCountChangesTheResult() throws {
        let (encoder, outputs, tokens) = try Self.fixture()
        let oneHead = try CLIPTextEncoder(weights: encoder.weights, heads: 1)
        let reference = try outputs.load("last_hidden_state")
        let difference = try oneHead.encode(tokens: tokens).lastHiddenState.maxAbsoluteDifference(to: reference)
        #expect(difference > 100 * Self.tolerance(reference))
    }

    @Test func tokenOutsideVocabularyIsRejected() throws {
        let (encoder, _, _) = try Self.fixture()
        #expect(throws: EngineError.invalidArgument(
            "token id 49407 at position 1 is outside CLIP's vocabulary of 300; use the tokenizer that matches the weights"
        )) {
            try encoder.pooled(tokens: [1, 49407])
        }
    }

    @Test func tooManyTokensAreRejected() throws {
        let (encoder, _, _) = try Self.fixture()
        #expect(throws: EngineError.invalidArgument(
            "CLIP takes 1 to 77 tokens, got 78; encode the prompt with CLIPTokenizer"
        )) {
            try encoder.pooled(tokens: [Int32](repeating: 1, count: 78))
        }
    }

    @Test func headsThatDoNotDivideTheWidthAreRejected() throws {
        let (encoder, _, _) = try Self.fixture()
        #expect(throws: EngineError.invalidArgument(
            "CLIP hidden size 64 does not split into 3 attention heads; pass the model's head count"
        )) {
            try CLIPTextEncoder(weights: encoder.weights, heads: 3)
        }
    }

    @Test func storeWithoutTextModelIsRejected() throws {
        let (encoder, _, _) = try Self.fixture()
        let wrong = PrefixedWeightStore(base: encoder.weights, prefix: "encoder.")
        #expect(throws: EngineError.missingTensor(
            name: "text_model.embeddings.token_embedding.weight", file: encoder.weights.origin
        )) {
            try CLIPTextEncoder(weights: wrong)
        }
    }
}
