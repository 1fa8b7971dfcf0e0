// libFuzzer entry point for the sidecar and recipe parser (libyaml, limits, schema validation).
// scripts/fuzz compiles it together with the sources of the Recipes module.

/// Parses the input as a sidecar and as a folder recipe; errors are expected, crashes are not.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzSidecarParser(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    guard let data else { return 0 }
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    _ = try? InstructionParser(kind: .sidecar).parse(bytes, fileName: "fuzz.yaml")
    _ = try? InstructionParser(kind: .recipe).parse(bytes, fileName: "kontextd.recipe.yaml")
    return 0
}
