import FluxEngine
import Foundation

/// `kontextd-engine-bench`: times the native engine's stages on the weights that
/// `bench/engine/torch_engine.py` wrote, for `bench/engine/run`. Not installed with kontextd.
do {
    let options = try EngineBenchOptions(CommandLine.arguments.dropFirst())
    if !options.defaultAllocator {
        // The allocator policy of `kontextd`, which runs the engine the same way.
        EngineMemory.retainFreedMemory()
    }
    EngineThreads.configure(options.threads)
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.sortedKeys]
    let stages = StageBenchmarks(options: options)
    let output: Data
    switch options.command {
    case .gemmPeak:
        output = try encoder.encode(
            GEMMPeak.measure(
                threads: options.threads, warmups: options.warmups, repeats: options.repeats, quick: options.quick
            )
        )
    case .transformer:
        output = try encoder.encode(try stages.transformer())
    case .vae:
        output = try encoder.encode(try stages.vae())
    case .text:
        output = try encoder.encode(try stages.text())
    case .allocator:
        output = try encoder.encode(AllocatorProbe.measure(retainsFreedMemory: !options.defaultAllocator))
    }
    print(String(decoding: output, as: UTF8.self))
} catch {
    FileHandle.standardError.write(Data("kontextd-engine-bench: \(error)\n".utf8))
    exit(2)
}
