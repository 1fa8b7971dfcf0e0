public import Backends
internal import Dispatch
internal import Imaging
public import Recipes
internal import Synchronization

/// Runs the Flux Kontext edit inside the daemon on the CPU with the user's own weight files.
///
/// One edit runs at a time, because the weights and activations of one run already fill most of a
/// small machine's memory. Further requests wait in order on a serial queue. Each run opens the files
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
            throw .permanent("the local engine needs a prompt; add `prompt:` saying what to change")
        }
        try checkFiles()
        let flag = CancellationFlag()
        let reply = OneReply()
        let options = options
        let outcome = await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<Result<EditResult, BackendError>, Never>) in
                reply.set(continuation)
                queue.async {
                    guard !flag.isSet else { return }
                    let run = LocalKontextEdit(options: options, isCancelled: { flag.isSet }, progress: request.progress)
                    reply.resume(with: run.edit(request, prompt: prompt))
                }
            }
        } onCancel: {
            // A step can take minutes, so the request gets its result at once and the engine stops at
            // its next check. A stop never waits for the step to end.
            flag.set()
            reply.resume(with: .failure(.transient("the local edit was stopped before it finished; the job can run again")))
        }
        return try outcome.get()
    }

    /// Fails the job, naming the key and the path, when a configured file or folder is missing or of
    /// the wrong kind.
    private func checkFiles() throws(BackendError) {
        guard let fault = options.fileProblems().first else { return }
        let kind = fault.isFolder ? "folder" : "file"
        throw .permanent(
            "the \(fault.key) \(kind) '\(fault.path)' \(fault.problem); put the \(kind) there or change '\(fault.key)' "
                + "of backend '\(name)' in the configuration"
        )
    }
}

/// The result of one edit request, delivered once: by the engine when it finishes, or at once when
/// the task is cancelled, whichever comes first.
final class OneReply: Sendable {
    typealias Answer = Result<EditResult, BackendError>

    private enum State {
        case empty
        case waiting(CheckedContinuation<Answer, Never>)
        case answered(Answer)
        case done
    }

    private let state = Mutex<State>(.empty)

    /// Registers the waiting continuation. A result that came first is delivered to it at once.
    func set(_ continuation: CheckedContinuation<Answer, Never>) {
        let early = state.withLock { state -> Answer? in
            switch state {
            case .empty:
                state = .waiting(continuation)
                return nil
            case .answered(let answer):
                state = .done
                return answer
            case .waiting, .done:
                return nil
            }
        }
        if let early { continuation.resume(returning: early) }
    }

    /// Delivers `answer` unless a result was delivered already.
    func resume(with answer: Answer) {
        let waiting = state.withLock { state -> CheckedContinuation<Answer, Never>? in
            switch state {
            case .empty:
                state = .answered(answer)
                return nil
            case .waiting(let continuation):
                state = .done
                return continuation
            case .answered, .done:
                return nil
            }
        }
        waiting?.resume(returning: answer)
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
