import Foundation

/// `kontextd-bench`: times the Imaging stages in process, for `bench/run`. Not installed with kontextd.
let arguments = CommandLine.arguments.dropFirst()
do {
    let options = try BenchmarkOptions(arguments)
    let results = try ImagingBenchmark(repeats: options.repeats, quality: options.quality).run(photos: options.photos)
    for result in results {
        print(result.jsonLine())
    }
} catch {
    FileHandle.standardError.write(Data("kontextd-bench: \(error)\n".utf8))
    exit(2)
}
