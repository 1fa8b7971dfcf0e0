import FluxEngine
public import Recipes

extension LocalBackend {
    /// Opens each of the backend's files that exists as the model or tokenizer its key names, reading
    /// headers and shapes but no tensor data, so `kontextd check` can report a wrong or damaged file
    /// before a job fails on it. Returns one message per unusable file. Missing files are left to
    /// `LocalBackendOptions.fileProblems()`.
    public static func modelFileProblems(_ options: LocalBackendOptions) -> [(key: String, path: String, message: String)] {
        let missing = Set(options.fileProblems().map(\.key))
        let openers: [(key: String, path: String, open: () throws -> Void)] = [
            ("transformer", options.transformer, { _ = try FluxTransformer(weights: try WeightFiles.open(path: options.transformer)) }),
            ("vae", options.vae, { _ = try FluxVAE(weights: try WeightFiles.open(path: options.vae)) }),
            ("clip_l", options.clipL, { _ = try CLIPTextEncoder(weights: try WeightFiles.open(path: options.clipL)) }),
            ("t5xxl", options.t5xxl, { _ = try T5Encoder(weights: try WeightFiles.open(path: options.t5xxl)) }),
            ("clip_tokenizer", options.clipTokenizer, { _ = try CLIPTokenizer(directory: options.clipTokenizer) }),
            ("t5_tokenizer", options.t5Tokenizer, { _ = try T5Tokenizer(path: options.t5Tokenizer) }),
        ]
        var problems: [(key: String, path: String, message: String)] = []
        for opener in openers where !opener.path.isEmpty && !missing.contains(opener.key) {
            do {
                try opener.open()
            } catch {
                problems.append(
                    (opener.key, opener.path, "\(error); '\(opener.key)' must name the \(LocalBackendOptions.describe(opener.key))")
                )
            }
        }
        return problems
    }
}
