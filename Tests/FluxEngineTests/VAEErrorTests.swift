import Foundation
import Testing

@testable import FluxEngine

@Suite struct VAEErrorTests {
    static func memoryStore(_ file: String, editing edit: (inout [String: Tensor]) -> Void) throws -> MemoryWeightStore {
        let source = try VAETests.store(file)
        var tensors: [String: Tensor] = [:]
        for name in source.tensorNames { tensors[name] = try source.load(name) }
        edit(&tensors)
        return MemoryWeightStore(tensors, origin: "vae.safetensors")
    }

    struct NameCase: CustomTestStringConvertible, Sendable {
        var file: String
        var removed: String
        var testDescription: String { "\(file) without \(removed)" }
    }

    @Test(arguments: [
        NameCase(file: "weights-bfl.safetensors", removed: "decoder.up.2.block.1.norm2.bias"),
        NameCase(file: "weights-diffusers.safetensors", removed: "decoder.up_blocks.1.resnets.1.norm2.bias"),
        NameCase(file: "weights-bfl.safetensors", removed: "encoder.mid.attn_1.proj_out.weight"),
        NameCase(file: "weights-diffusers.safetensors", removed: "encoder.mid_block.attentions.0.to_out.0.weight"),
    ])
    func missingTensorIsNamed(_ testCase: NameCase) throws {
        let store = try Self.memoryStore(testCase.file) { $0[testCase.removed] = nil }

        let error = #expect(throws: EngineError.self) { try FluxVAE(weights: store, groups: 8) }

        #expect(
            error?.description
                == "tensor '\(testCase.removed)' is missing from 'vae.safetensors'; check that the file holds the expected model"
        )
    }

    @Test func unknownTensorIsNamed() throws {
        let store = try Self.memoryStore("weights-bfl.safetensors") { $0["encoder.mid.attn_2.q.weight"] = Tensor(shape: [1]) }

        let error = #expect(throws: EngineError.self) { try FluxVAE(weights: store, groups: 8) }

        #expect(
            error?.description
                == "'vae.safetensors' holds tensors the engine does not know: encoder.mid.attn_2.q.weight; is it the right model?"
        )
    }

    @Test func downsampleOnTheDeepestLevelIsUnknown() throws {
        let store = try Self.memoryStore("weights-bfl.safetensors") {
            $0["encoder.down.3.downsample.conv.weight"] = Tensor(shape: [32, 32, 3, 3])
            $0["encoder.down.3.downsample.conv.bias"] = Tensor(shape: [32])
        }

        let error = #expect(throws: EngineError.self) { try FluxVAE(weights: store, groups: 8) }

        #expect(
            error?.description
                == "'vae.safetensors' holds tensors the engine does not know: encoder.down.3.downsample.conv.bias, encoder.down.3.downsample.conv.weight; is it the right model?"
        )
    }

    @Test func missingShortcutIsNamed() throws {
        let store = try Self.memoryStore("weights-diffusers.safetensors") {
            $0["decoder.up_blocks.3.resnets.0.conv_shortcut.weight"] = nil
        }

        let error = #expect(throws: EngineError.self) { try FluxVAE(weights: store, groups: 8) }

        #expect(
            error?.description
                == "tensor 'decoder.up_blocks.3.resnets.0.conv_shortcut.weight' is missing from 'vae.safetensors'; check that the file holds the expected model"
        )
    }

    @Test func wrongShapeIsNamed() throws {
        let store = try Self.memoryStore("weights-bfl.safetensors") { $0["decoder.conv_out.bias"] = Tensor(shape: [4]) }
        let vae = try FluxVAE(weights: store, groups: 8)

        let error = #expect(throws: EngineError.self) { try vae.decode(Tensor(shape: [16, 2, 2])) }

        #expect(
            error?.description
                == "tensor 'decoder.conv_out.bias' has shape [4], expected [3]; the file is for another model size"
        )
    }

    @Test func groupCountMustDivideChannels() throws {
        let store = try VAETests.store("weights-bfl.safetensors")

        let error = #expect(throws: EngineError.self) { try FluxVAE(weights: store, groups: 32) }

        #expect(
            error?.description
                == "VAE in '\(store.origin)' has a level of 16 channels, which does not split into 32 norm groups. Pass the group count the model was trained with"
        )
    }

    @Test func imageSizeMustBeAMultipleOfEight() throws {
        let vae = try VAETests.makeVAE()

        let error = #expect(throws: EngineError.self) { try vae.encode(Tensor(shape: [3, 20, 16])) }

        #expect(
            error?.description
                == "VAE input image is 16x20 pixels; resize or crop it so width and height are positive multiples of 8"
        )
    }

    @Test func imageMustHaveThreeChannels() throws {
        let vae = try VAETests.makeVAE()

        let error = #expect(throws: EngineError.self) { try vae.encode(Tensor(shape: [4, 16, 16])) }

        #expect(error?.description == "VAE input image has shape [4, 16, 16], expected [3, height, width]")
    }

    @Test func latentsMustHaveSixteenChannels() throws {
        let vae = try VAETests.makeVAE()

        let error = #expect(throws: EngineError.self) { try vae.decode(Tensor(shape: [4, 2, 2])) }

        #expect(error?.description == "VAE latents have shape [4, 2, 2], expected [16, height, width]")
    }
}
