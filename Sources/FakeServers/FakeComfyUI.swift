public import Backends
import Foundation
public import Imaging
import Synchronization

/// A ComfyUI server for tests and benchmarks, speaking ComfyUI's HTTP and WebSocket protocol on
/// 127.0.0.1 as version 0.3.64 does (with the UUID check on `prompt_id` of later versions).
///
/// It validates graphs against a small node catalogue, queues prompts and "runs" each one for
/// `processingTime`. Each run saves a real image: the uploaded `LoadImage` picture with its
/// colours inverted (only inside the `LoadImageMask` mask when the graph has one). The image is
/// scaled to the size of an `EmptySD3LatentImage` when the graph has one. Tests inject the failures real servers show:
/// validation and execution errors, 413, 5xx, slow downloads, restarts that lose the queue, and
/// the late history write after `execution_success`.
public final class FakeComfyUI: Sendable {
    public struct Settings: Sendable {
        /// How long one prompt runs.
        public var processingTime: Duration = .milliseconds(50)
        /// Prompts that run at the same time (one per worker thread).
        public var concurrency = 1
        /// The delay between `execution_success` and the history write, as in the real server's race.
        public var historyDelay: Duration = .zero
        /// The request body limit (`--max-upload-size`).
        public var maximumUploadSize = 100 << 20
        /// When set, `/view` sends 16 KiB pieces with this delay before each.
        public var viewChunkDelay: Duration?
        /// Whether the WebSocket sends events (false imitates a socket that never delivers them).
        public var sendsEvents = true
        public var diffusionModels = ["flux1-dev-kontext_fp8_scaled.safetensors", "flux1-kontext-dev-Q8_0.gguf"]
        public var textEncoders = [
            "clip_l.safetensors", "t5xxl_fp8_e4m3fn_scaled.safetensors", "t5-v1_1-xxl-encoder-Q8_0.gguf",
        ]
        public var vaes = ["ae.safetensors"]
        /// Decodes uploaded files. The default reads only stored-deflate PNGs, so a client that
        /// uploads PNGs from another encoder (libpng) needs a real decoder here.
        public var decodeUpload: @Sendable ([UInt8]) throws -> Image = { try StoredPNG.decode($0) }
        /// Encodes the images that `SaveImage` writes.
        public var encodeOutput: @Sendable (Image) -> [UInt8] = { StoredPNG.encode($0) }

        public init() {}
    }

    /// A scripted `execution_error` for prompts whose text contains `trigger`.
    public struct ScriptedExecutionError: Sendable {
        public var trigger: String
        public var classType: String
        public var exceptionType: String
        public var message: String

        public init(trigger: String, classType: String, exceptionType: String, message: String) {
            self.trigger = trigger
            self.classType = classType
            self.exceptionType = exceptionType
            self.message = message
        }
    }

    struct QueuedPrompt: Sendable {
        var number: Int
        var promptID: String
        var graph: JSONValue
        var clientID: String?
        var outputsToExecute: [String]
    }

    struct State {
        var settings: Settings
        var generation = 0
        var counter = 0
        var pending: [QueuedPrompt] = []
        var running: [String: QueuedPrompt] = [:]
        var interrupted: Set<String> = []
        var history: [String: JSONValue] = [:]
        var inputs: [String: [UInt8]] = [:]
        var outputs: [String: [UInt8]] = [:]
        var fileCounters: [String: Int] = [:]
        var sockets: [String: WebSocketConnection] = [:]
        var scriptedStatuses: [(path: String, status: Int)] = []
        var executionErrors: [ScriptedExecutionError] = []
        var receivedGraphs: [JSONValue] = []
        var receivedClientIDs: [String?] = []
        var connectedClientIDs: [String] = []
        var jobsRun = 0
        var maximumQueueLength = 0
        var busyTime: Duration = .zero
    }

    let state: Mutex<State>
    let workAvailable = DispatchSemaphore(value: 0)
    private let serverBox = Mutex<LoopbackHTTPServer?>(nil)

    public init(settings: Settings = Settings()) {
        state = Mutex(State(settings: settings))
        let server = LoopbackHTTPServer(maximumBodySize: settings.maximumUploadSize) { [weak self] request in
            guard let self else { return .dropConnection }
            return self.route(request)
        }
        serverBox.withLock { $0 = server }
    }

    var server: LoopbackHTTPServer {
        // Set once in init and never cleared.
        serverBox.withLock { $0! }
    }

    public var endpoint: HTTPEndpoint { server.endpoint }
    public var port: Int { server.port }

    /// Starts listening and starts the worker threads.
    public func start() throws(LoopbackServerError) {
        try server.start()
        startWorkers(generation: state.withLock { $0.generation })
    }

    private func startWorkers(generation: Int) {
        let workers = state.withLock { $0.settings.concurrency }
        for _ in 0..<workers {
            let thread = Thread { [self] in workerLoop(generation: generation) }
            thread.start()
        }
    }

    /// Stops the server as a crash does: connections close, later ones are refused, and the queue
    /// and history are gone. Uploaded input files stay, as they are files on the server's disk.
    public func stop() {
        server.stop()
        forgetQueueAndHistory()
    }

    /// Restarts with no downtime a client could notice: open connections close, the queue and the
    /// history are gone, and the listener keeps accepting on the same port.
    public func restart() {
        server.closeConnections()
        let generation = forgetQueueAndHistory()
        startWorkers(generation: generation)
    }

    @discardableResult
    private func forgetQueueAndHistory() -> Int {
        let generation = state.withLock { state in
            state.generation += 1
            state.pending = []
            state.running = [:]
            state.history = [:]
            state.sockets = [:]
            return state.generation
        }
        for _ in 0..<8 { workAvailable.signal() }
        return generation
    }

    /// Changes settings while running (processing time, delays, limits).
    public func update(_ change: (inout Settings) -> Void) {
        let limit = state.withLock { state in
            change(&state.settings)
            return state.settings.maximumUploadSize
        }
        server.maximumBodySize = limit
    }

    /// Answers the next request to `path` (for example `/prompt`) with HTTP `status` and a text body.
    public func failNextRequest(path: String, status: Int) {
        state.withLock { $0.scriptedStatuses.append((path, status)) }
    }

    public func scriptExecutionError(_ error: ScriptedExecutionError) {
        state.withLock { $0.executionErrors.append(error) }
    }

    /// Every graph accepted by `POST /prompt`, in arrival order.
    public var receivedGraphs: [JSONValue] { state.withLock { $0.receivedGraphs } }

    /// The `client_id` of every accepted prompt, in arrival order.
    public var receivedClientIDs: [String?] { state.withLock { $0.receivedClientIDs } }

    /// Every `clientId` that opened a WebSocket, in connection order.
    public var connectedClientIDs: [String] { state.withLock { $0.connectedClientIDs } }

    /// The number of prompts that ran to the end (success or error).
    public var jobsRun: Int { state.withLock { $0.jobsRun } }

    /// The total time workers spent running prompts.
    public var busyTime: Duration { state.withLock { $0.busyTime } }

    /// The names of uploaded input files, as `subfolder/name`.
    public var inputFiles: [String] { state.withLock { Array($0.inputs.keys).sorted() } }

    /// The maximum number of prompts waiting or running at one time.
    public var maximumQueueLength: Int { state.withLock { $0.maximumQueueLength } }

    /// Prompts waiting or running now.
    public var queueLength: Int { state.withLock { $0.pending.count + $0.running.count } }
}
