import DaemonSupport
import Foundation
import Synchronization

/// An end-of-prompt event from the WebSocket.
enum ComfyUIPromptEvent: Sendable, Equatable {
    /// `executing` with `node: null`, sent after the history entry is written.
    case finished
    /// `execution_error` or `execution_interrupted`, with the message data.
    case failed(type: String, data: JSONValue)
    /// The socket closed, so events for prompts queued on it will not arrive and the job polls.
    case disconnected
}

/// The `/ws` connection to one server, shared by every job on it, routing events by `prompt_id`.
///
/// Each connection uses a new `clientId`: reconnecting with an old one can let the old handler's
/// cleanup unregister the new socket, after which events stop arriving. Jobs queued under the old id
/// therefore lose their events and fall back to polling `/history`.
final class ComfyUIEventChannel: Sendable {
    private struct Waiter {
        var token: UInt64
        var continuation: CheckedContinuation<ComfyUIPromptEvent?, Never>
    }

    private struct State {
        var connection: WebSocketConnection?
        var clientID = ""
        var isConnecting = false
        var connectWaiters: [CheckedContinuation<Void, Never>] = []
        var nextAttempt = ContinuousClock.now
        var events: [String: [ComfyUIPromptEvent]] = [:]
        var waiters: [String: Waiter] = [:]
        var nextToken: UInt64 = 0
    }

    private let endpoint: HTTPEndpoint
    private let timeouts: ComfyUITimeouts
    private let logger: Logger
    private let state = Mutex(State())

    init(endpoint: HTTPEndpoint, timeouts: ComfyUITimeouts, logger: Logger) {
        self.endpoint = endpoint
        self.timeouts = timeouts
        self.logger = logger
    }

    /// Returns the `client_id` to queue a prompt with: the open socket's id, or, when the socket
    /// cannot be opened, a fresh id that no socket listens on, so the job polls.
    func clientID() async -> (id: String, isConnected: Bool) {
        enum Step { case connected(String), connect, wait, pollOnly }
        while true {
            let step: Step = state.withLock { state in
                if state.connection != nil { return .connected(state.clientID) }
                if state.isConnecting { return .wait }
                guard ContinuousClock.now >= state.nextAttempt else { return .pollOnly }
                state.isConnecting = true
                return .connect
            }
            switch step {
            case .connected(let id): return (id, true)
            case .pollOnly: return (UUID().uuidString.lowercased(), false)
            case .wait: await withCheckedContinuation { continuation in waitForConnect(continuation) }
            case .connect: await connect()
            }
        }
    }

    private func waitForConnect(_ continuation: CheckedContinuation<Void, Never>) {
        let isDone = state.withLock { state in
            guard state.isConnecting else { return true }
            state.connectWaiters.append(continuation)
            return false
        }
        if isDone { continuation.resume() }
    }

    private func connect() async {
        let id = UUID().uuidString.lowercased()
        let endpoint = endpoint
        let timeout = timeouts.request
        let result = await Result { () async throws(HTTPWireError) in
            try await runOnThread { () throws(HTTPWireError) in
                try WebSocketConnection.connect(to: endpoint, target: "/ws?clientId=\(id)", timeout: timeout)
            }
        }

        let waiters = state.withLock { state in
            state.isConnecting = false
            if case .success(let connection) = result {
                state.connection = connection
                state.clientID = id
            } else {
                // Back off so a broken server does not get a reconnect storm.
                state.nextAttempt = .now + .seconds(2)
            }
            defer { state.connectWaiters = [] }
            return state.connectWaiters
        }
        waiters.forEach { $0.resume() }

        switch result {
        case .success(let connection):
            let thread = Thread { [self] in readLoop(connection) }
            thread.start()
        case .failure(let error):
            logger.warning(
                "ComfyUI WebSocket connect failed",
                ["server": endpoint.description, "error": error.description]
            )
        }
    }

    private func readLoop(_ connection: WebSocketConnection) {
        while true {
            guard let message = try? connection.receive(deadline: .now + .seconds(3600)) else { break }
            guard case .text(let text) = message, let json = JSONValue.parse(Array(text.utf8)) else { continue }
            guard let promptID = json["data"]?["prompt_id"]?.stringValue else { continue }
            switch json["type"]?.stringValue {
            case "executing" where json["data"]?["node"]?.isNull == true:
                deliver(.finished, to: promptID)
            case "execution_error", "execution_interrupted":
                deliver(.failed(type: json["type"]?.stringValue ?? "", data: json["data"] ?? .null), to: promptID)
            default:
                continue
            }
        }
        connection.socket.shutdown()
        let waiting = state.withLock { state in
            if state.connection === connection { state.connection = nil }
            return Array(state.waiters.keys)
        }
        for promptID in waiting { deliver(.disconnected, to: promptID) }
    }

    /// Starts collecting events for `promptID`. Call it before queueing so no event is missed.
    func watch(_ promptID: String) {
        state.withLock { $0.events[promptID] = $0.events[promptID] ?? [] }
    }

    func unwatch(_ promptID: String) {
        state.withLock { _ = $0.events.removeValue(forKey: promptID) }
    }

    private func deliver(_ event: ComfyUIPromptEvent, to promptID: String) {
        let waiter: Waiter? = state.withLock { state in
            if let waiter = state.waiters.removeValue(forKey: promptID) { return waiter }
            if state.events[promptID] != nil { state.events[promptID]?.append(event) }
            return nil
        }
        waiter?.continuation.resume(returning: event)
    }

    /// Waits up to `timeout` for the next event of a watched prompt, or returns nil on timeout.
    func nextEvent(for promptID: String, timeout: Duration) async -> ComfyUIPromptEvent? {
        await withCheckedContinuation { continuation in
            let token: UInt64? = state.withLock { state in
                if var queued = state.events[promptID], !queued.isEmpty {
                    let event = queued.removeFirst()
                    state.events[promptID] = queued
                    continuation.resume(returning: event)
                    return nil
                }
                state.nextToken += 1
                state.waiters[promptID] = Waiter(token: state.nextToken, continuation: continuation)
                return state.nextToken
            }
            guard let token else { return }
            Task { [self] in
                try? await Task.sleep(for: timeout)
                expire(promptID, token: token)
            }
        }
    }

    private func expire(_ promptID: String, token: UInt64) {
        let waiter: Waiter? = state.withLock { state in
            guard state.waiters[promptID]?.token == token else { return nil }
            return state.waiters.removeValue(forKey: promptID)
        }
        waiter?.continuation.resume(returning: nil)
    }

    /// Closes the socket. Its reader thread ends and waiting jobs fall back to polling.
    func close() {
        let connection = state.withLock { state in
            defer { state.connection = nil }
            return state.connection
        }
        connection?.close()
    }
}

extension Result {
    init(catching body: () async throws(Failure) -> Success) async {
        do {
            self = .success(try await body())
        } catch {
            self = .failure(error)
        }
    }
}
