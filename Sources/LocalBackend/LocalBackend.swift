public import Backends
internal import Dispatch
internal import Foundation
internal import Imaging
public import Recipes
internal import Synchronization

/// Runs the Flux Kontext edit inside the daemon on the CPU with the user's own weight files.
///
/// One edit runs at a time (the weights and activations of one run already fill most of a small
/// machine's memory); further requests wait in order on a serial queue. Each run opens the files
/// afresh, so weights replaced on disk are picked up by the next job, and memory returns to the
/// system between jobs. The text encoders run first and are released before the transformer loads.
public struct LocalBackend: EditBackend {
    public let name: String
    public let options: LocalBackendOptions
    private let queue: DispatchQueue

    public var capabilities: BackendCapabilities { .promptEdit }

    public init(name: String, options: LocalBackendOptions) {
        self.name = name
        self.options = options
        self.queue = DispatchQueue(label: "kontextd.local.\(name)", qos: .userInitiated)
    }

    public func edit(_ request: EditRequest) async throws(BackendError) -> EditResult {
        guard let prompt = request.prompt else {
            throw .permanent("backend '\(name)' needs a prompt; add `prompt:` saying what to change")
        }
        try checkFiles()
        let flag = CancellationFlag()
        let options = options
        let outcome = await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<Result<EditResult, BackendError>, Never>) in
                queue.async {
                    let run = LocalKontextEdit(options: options, isCancelled: { flag.isSet }, progress: request.progress)
                    continuation.resume(returning: run.edit(request, prompt: prompt))
                }
            }
        } onCancel: {
            flag.set()
        }
        return try outcome.get()
    }

    /// Fails the job, naming the key and the path, when a configured file or folder is missing.
    private func checkFiles() throws(BackendError) {
        for (key, path) in options.files {
            var isFolder: ObjCBool = false
            guard FileManager.default.fileExists(atPath: path, isDirectory: &isFolder) else {
                throw .permanent(
                    "backend '\(name)': the \(key) file '\(path)' does not exist; put the file there or change "
                        + "'\(key)' of this backend in the configuration"
                )
            }
            let wantsFolder = key == "clip_tokenizer"
            if isFolder.boolValue != wantsFolder {
                throw .permanent(
                    "backend '\(name)': '\(path)' (\(key)) is a \(isFolder.boolValue ? "folder" : "file"), expected a "
                        + (wantsFolder ? "folder holding vocab.json and merges.txt" : "file")
                )
            }
        }
    }
}

/// A flag that the cancellation handler of a task sets and the engine polls between stages and steps.
final class CancellationFlag: Sendable {
    private let value = Atomic<Bool>(false)

    var isSet: Bool { value.load(ordering: .relaxed) }

    func set() {
        value.store(true, ordering: .relaxed)
    }
}
