import Foundation
import Testing

@testable import FluxEngine

/// Times one transformer forward pass on weights and inputs given by environment variables, and
/// checks the output against a reference output when one is given. It prints the time and asserts
/// nothing about it. Without `KONTEXTD_BENCH_TRANSFORMER` the test does nothing.
///
/// - `KONTEXTD_BENCH_TRANSFORMER`: a transformer `.safetensors` (BFL or diffusers names).
/// - `KONTEXTD_BENCH_INPUTS`: `.safetensors` with `image`, `image_ids`, `text` and `pooled`.
/// - `KONTEXTD_BENCH_OUTPUT` (optional): `.safetensors` with `output`, all image rows.
@Suite struct TransformerBenchmarkTests {
    @Test func transformerForwardTime() throws {
        let environment = ProcessInfo.processInfo.environment
        guard let weightsPath = environment["KONTEXTD_BENCH_TRANSFORMER"],
            let inputsPath = environment["KONTEXTD_BENCH_INPUTS"]
        else { return }
        let model = try FluxTransformer(weights: SafeTensorsFile(path: weightsPath))
        let inputs = try SafeTensorsFile(path: inputsPath)
        let image = try inputs.load("image")

        for repetition in 0..<2 {
            let start = Date()
            let output = try model.velocity(
                image: image, imageIDs: inputs.load("image_ids"), text: inputs.load("text"),
                pooled: inputs.load("pooled"), timestep: 0.5, guidance: 2.5, targetCount: image.rowCount
            )
            let seconds = Date().timeIntervalSince(start)
            print("transformer forward \(repetition): \(String(format: "%.2f", seconds)) s for \(image.rowCount) image tokens")
            if let outputPath = environment["KONTEXTD_BENCH_OUTPUT"] {
                let expected = try SafeTensorsFile(path: outputPath).load("output")
                let difference = output.maxAbsoluteDifference(to: expected)
                print("max difference \(difference) at magnitude \(expected.maxMagnitude)")
                // Realistic widths sum over 3072 to 15360 terms; 1e-4 relative still catches a wrong term.
                #expect(difference <= 1e-4 * max(expected.maxMagnitude, 1))
            }
        }
    }
}
