public import Backends
import Foundation
public import Imaging
import Synchronization

/// A hosted image-edit API for tests: BFL, Replicate, fal or the generic runs shape, on loopback.
///
/// Two servers run: `api` takes submits (and, for the runs shape, polls), and `delivery` serves the
/// poll URLs and result files under the host name `localhost`, so the poll URL differs from the
/// submit URL in host name and port as BFL's does. Each accepted submit starts a run that reports
/// "running" for `pendingPolls` polls and then finishes with `outcome`. A finished run's image is
/// the received input with its colours inverted. Result URLs stop working `resultLifetime` after
/// the run finished. Counters record every submit, poll and download for the tests' assertions.
public final class FakeHosted: Sendable {
    public enum Flavor: String, Sendable, CaseIterable {
        case bfl, bflFill, replicate, fal, runs
    }

    public enum Outcome: Sendable, Equatable {
        case succeed
        case fail(String)
        case moderated
    }

    public struct Settings: Sendable {
        public var key = "test-key-0123456789"
        /// Polls that report a running status before the run finishes.
        public var pendingPolls = 2
        public var outcome = Outcome.succeed
        /// Polls, before the running ones, that report a status word no profile lists.
        public var unknownStatusPolls = 0
        /// Submits rejected with 429 and `Retry-After` before one is accepted.
        public var rateLimitedSubmits = 0
        /// Polls rejected with 429 and `Retry-After`.
        public var rateLimitedPolls = 0
        public var retryAfter = "1"
        /// Accept the submit (start the run, count it), then close the connection without a response.
        public var dropSubmitResponse = false
        /// Submit answers sent in 4-byte pieces with this delay before each, after the run started.
        public var slowSubmitDelay: Duration?
        /// Polls whose connection is closed without an answer.
        public var droppedPolls = 0
        /// Poll answers sent in small pieces with this delay before each.
        public var slowPollDelay: Duration?
        public var resultLifetime: Duration = .seconds(600)
        /// Put the received auth header value into failure messages, as a careless server might.
        public var echoKeyInErrors = false

        public init() {}
    }

    struct Run {
        var id: String
        var input: Image
        var polls = 0
        var finishedAt: ContinuousClock.Instant?
        var result: [UInt8]?
    }

    struct State {
        var settings: Settings
        var runs: [String: Run] = [:]
        var files: [String: [UInt8]] = [:]
        var submitAttempts = 0
        var submits = 0
        var polls = 0
        var downloads = 0
        var submitBodies: [JSONValue] = []
        var authValues: [String] = []
        var counter = 0
        var activeRuns: Set<String> = []
        var maxActiveRuns = 0
    }

    public let flavor: Flavor
    let state: Mutex<State>
    let servers: Mutex<(api: LoopbackHTTPServer?, delivery: LoopbackHTTPServer?)> = Mutex((nil, nil))

    public init(flavor: Flavor, settings: Settings = Settings()) {
        self.flavor = flavor
        self.state = Mutex(State(settings: settings))
    }

    public func start() throws(LoopbackServerError) {
        let api = LoopbackHTTPServer { [self] request in handleAPI(request) }
        let delivery = LoopbackHTTPServer { [self] request in handleDelivery(request) }
        try api.start()
        try delivery.start()
        servers.withLock { $0 = (api, delivery) }
    }

    public func stop() {
        let (api, delivery) = servers.withLock { $0 }
        api?.stop()
        delivery?.stop()
    }

    public var apiPort: Int { servers.withLock { $0.api?.port ?? 0 } }
    public var deliveryPort: Int { servers.withLock { $0.delivery?.port ?? 0 } }
    /// The base URL to put into the backend's configuration.
    public var baseURL: String { "http://127.0.0.1:\(apiPort)" }

    public var settings: Settings {
        get { state.withLock { $0.settings } }
        set { state.withLock { $0.settings = newValue } }
    }

    /// Submits the fake accepted (each started a run).
    public var submits: Int { state.withLock { $0.submits } }
    /// Every submit request, 429 answers included.
    public var submitAttempts: Int { state.withLock { $0.submitAttempts } }
    public var polls: Int { state.withLock { $0.polls } }
    public var downloads: Int { state.withLock { $0.downloads } }
    public var submitBodies: [JSONValue] { state.withLock { $0.submitBodies } }
    /// The maximum number of runs submitted and not yet finished at one time.
    public var maxActiveRuns: Int { state.withLock { $0.maxActiveRuns } }
    /// The auth header value of every request that carried one.
    public var authValues: [String] { state.withLock { $0.authValues } }
    /// The input image each run received, by run id.
    public var receivedImages: [Image] { state.withLock { $0.runs.values.map(\.input) } }

    /// The header that carries the key, and its prefix, as the real provider expects them.
    var auth: (header: String, prefix: String) {
        switch flavor {
        case .bfl, .bflFill: ("x-key", "")
        case .replicate, .runs: ("Authorization", "Bearer ")
        case .fal: ("Authorization", "Key ")
        }
    }

    func isAuthorized(_ request: HTTPServerRequest) -> Bool {
        let value = request.headers[auth.header]
        if let value { state.withLock { $0.authValues.append(value) } }
        return value == auth.prefix + settings.key
    }

    func json(_ status: Int, _ value: JSONValue, headers: [(String, String)] = []) -> HTTPServerReply {
        .response(HTTPResponse(status: status, headers: HTTPHeaders([("Content-Type", "application/json")] + headers), body: value.serialized))
    }

    func nextID() -> String {
        state.withLock { state in
            state.counter += 1
            return String(format: "%08x-run-%04d", UInt32.random(in: 0...UInt32.max), state.counter)
        }
    }

    /// Reads the input image from base64, a data URI, or a URL of a file uploaded to this fake.
    func decodeInput(_ text: String) -> Image? {
        var bytes: [UInt8]?
        if text.hasPrefix("data:"), let comma = text.firstIndex(of: ",") {
            bytes = Data(base64Encoded: String(text[text.index(after: comma)...])).map { [UInt8]($0) }
        } else if text.hasPrefix("http://"), let name = text.split(separator: "/").last {
            bytes = state.withLock { $0.files[String(name)] }
        } else {
            bytes = Data(base64Encoded: text).map { [UInt8]($0) }
        }
        guard let bytes, let decoded = try? ImageDecoder.decode(bytes) else { return nil }
        return decoded.image.converted(to: .rgb)
    }

    /// Starts a run for an accepted submit and returns its id.
    func startRun(input: Image, body: JSONValue) -> String {
        let id = nextID()
        state.withLock { state in
            state.submits += 1
            state.submitBodies.append(body)
            state.runs[id] = Run(id: id, input: input)
            state.activeRuns.insert(id)
            state.maxActiveRuns = max(state.maxActiveRuns, state.activeRuns.count)
        }
        return id
    }

    enum Progress {
        case unknownWord, running, succeeded, failed(String), moderated, notFound, rateLimited
    }

    /// Advances a run by one poll and returns what the poll reports.
    func advance(_ id: String) -> Progress {
        state.withLock { state in
            state.polls += 1
            guard var run = state.runs[id] else { return .notFound }
            if state.settings.rateLimitedPolls > 0 {
                state.settings.rateLimitedPolls -= 1
                return .rateLimited
            }
            run.polls += 1
            defer { state.runs[id] = run }
            if run.polls <= state.settings.unknownStatusPolls { return .unknownWord }
            if run.polls <= state.settings.unknownStatusPolls + state.settings.pendingPolls { return .running }
            state.activeRuns.remove(id)
            switch state.settings.outcome {
            case .succeed:
                if run.result == nil {
                    run.result = (try? ImageEncoder.encode(FakeComfyUI.invert(run.input, where: nil), options: EncodeOptions(format: .png, pngCompressionLevel: 1))) ?? []
                    run.finishedAt = .now
                }
                return .succeeded
            case .fail(let message):
                let echoed = state.settings.echoKeyInErrors ? " (request authorized with \(state.settings.key))" : ""
                return .failed(message + echoed)
            case .moderated:
                return .moderated
            }
        }
    }

    /// The URL of a run's result file on the delivery server, with its expiry in the query as a signed URL has.
    func resultURL(_ id: String) -> String {
        "http://localhost:\(deliveryPort)/results/\(id).png?se=expiring&sig=fake"
    }

    func serveResult(_ id: String) -> HTTPServerReply {
        let found: (bytes: [UInt8]?, finishedAt: ContinuousClock.Instant?, lifetime: Duration) = state.withLock { state in
            state.downloads += 1
            let run = state.runs[id]
            return (run?.result, run?.finishedAt, state.settings.resultLifetime)
        }
        guard let bytes = found.bytes, let finishedAt = found.finishedAt, ContinuousClock.now - finishedAt < found.lifetime else {
            let body = "<?xml version=\"1.0\"?><Error><Code>AuthenticationFailed</Code><Message>Signed expiry time has passed</Message></Error>"
            return .response(HTTPResponse(status: 403, headers: HTTPHeaders([("Content-Type", "application/xml")]), body: Array(body.utf8)))
        }
        return .response(HTTPResponse(status: 200, headers: HTTPHeaders([("Content-Type", "image/png")]), body: bytes))
    }

    /// Sends a poll answer, slowly or not at all when the settings say so.
    func pollReply(_ reply: HTTPServerReply) -> HTTPServerReply {
        let (drop, delay) = state.withLock { state -> (Bool, Duration?) in
            if state.settings.droppedPolls > 0 {
                state.settings.droppedPolls -= 1
                return (true, nil)
            }
            return (false, state.settings.slowPollDelay)
        }
        if drop { return .dropConnection }
        if let delay, case .response(let response) = reply {
            return .slowResponse(response, chunkSize: 16, delay: delay)
        }
        return reply
    }
}
