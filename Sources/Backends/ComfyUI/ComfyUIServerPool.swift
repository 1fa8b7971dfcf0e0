import DaemonSupport
import Synchronization

/// The servers of one backend, their free job slots and their health.
///
/// A server takes up to `concurrency + queueAhead` jobs. A server that fails leaves the pool for
/// `serverRetryDelay`, doubled per failed check up to eight times. After that delay the next job
/// that needs it runs `GET /system_stats` first and uses the server only when the check passes.
final class ComfyUIServerPool: Sendable {
    struct Lease: Sendable {
        var index: Int
    }

    private enum Health {
        case healthy
        case down(until: ContinuousClock.Instant, failures: Int, reason: String)
        case checking(failures: Int, reason: String)
    }

    private struct Slot {
        var server: ComfyUIServer
        var running = 0
        var health = Health.healthy
    }

    private struct State {
        var slots: [Slot]
        var waiters: [UInt64: CheckedContinuation<Void, Never>] = [:]
        var nextWaiter: UInt64 = 0
    }

    private enum Choice {
        case lease(Lease)
        case check(Int)
        case wait(allDown: Bool)
    }

    let clients: [ComfyUIServerClient]
    private let timeouts: ComfyUITimeouts
    private let logger: Logger
    private let state: Mutex<State>

    init(servers: [ComfyUIServer], timeouts: ComfyUITimeouts, logger: Logger) {
        self.clients = servers.map { ComfyUIServerClient(endpoint: $0.endpoint, timeouts: timeouts) }
        self.timeouts = timeouts
        self.logger = logger
        self.state = Mutex(State(slots: servers.map { Slot(server: $0) }))
    }

    /// Waits for a job slot on a healthy server, preferring servers outside `avoiding`, then the
    /// least loaded one. Throws `noServerAvailable` when every server stays down for `noServerWait`.
    func acquire(avoiding: Set<Int>) async throws(ComfyUIFailure) -> Lease {
        var allDownSince: ContinuousClock.Instant?
        while true {
            guard !Task.isCancelled else {
                throw .noServerAvailable(detail: "the job was cancelled while waiting for a server")
            }
            switch choose(avoiding: avoiding) {
            case .lease(let lease):
                return lease
            case .check(let index):
                await check(index)
            case .wait(let allDown):
                if allDown {
                    let since = allDownSince ?? .now
                    allDownSince = since
                    if since.duration(to: .now) >= timeouts.noServerWait {
                        throw .noServerAvailable(detail: downSummary())
                    }
                } else {
                    allDownSince = nil
                }
                await waitForChange(timeout: .milliseconds(250))
            }
        }
    }

    private func choose(avoiding: Set<Int>) -> Choice {
        state.withLock { state in
            let now = ContinuousClock.now
            // Ranked by (avoided, load): a server that already failed this job comes last.
            var best: (index: Int, rank: (Int, Double))?
            for (index, slot) in state.slots.enumerated() {
                if case .down(let until, let failures, let reason) = slot.health, until <= now {
                    state.slots[index].health = .checking(failures: failures, reason: reason)
                    return .check(index)
                }
                guard case .healthy = slot.health, slot.running < slot.server.capacity else { continue }
                let rank = (avoiding.contains(index) ? 1 : 0, Double(slot.running) / Double(slot.server.capacity))
                if let current = best, current.rank <= rank { continue }
                best = (index, rank)
            }
            if let best {
                state.slots[best.index].running += 1
                return .lease(Lease(index: best.index))
            }
            let anyHealthy = state.slots.contains { if case .healthy = $0.health { true } else { false } }
            return .wait(allDown: !anyHealthy)
        }
    }

    private func check(_ index: Int) async {
        let client = clients[index]
        do {
            try await client.checkHealth()
            state.withLock { $0.slots[index].health = .healthy }
            logger.notice("ComfyUI server back in the pool", ["server": client.name])
            wakeWaiters()
        } catch {
            markFailed(index, reason: error.description)
        }
    }

    /// Takes the server out of the pool after a failure that points at the server itself.
    func markFailed(_ index: Int, reason: String) {
        let delay: Duration = state.withLock { state in
            var failures = 0
            switch state.slots[index].health {
            case .healthy: failures = 0
            case .down(_, let count, _), .checking(let count, _): failures = count
            }
            let delay = timeouts.serverRetryDelay * (1 << min(failures, 3))
            state.slots[index].health = .down(until: .now + delay, failures: failures + 1, reason: reason)
            return delay
        }
        logger.warning(
            "ComfyUI server taken out of the pool",
            [
                "server": clients[index].name, "error": reason, "retry.seconds": String(delay.components.seconds),
            ]
        )
        wakeWaiters()
    }

    func release(_ lease: Lease) {
        state.withLock { $0.slots[lease.index].running -= 1 }
        wakeWaiters()
    }

    private func downSummary() -> String {
        state.withLock { state in
            state.slots.enumerated().map { index, slot in
                switch slot.health {
                case .healthy: "\(clients[index].name): busy"
                case .down(_, _, let reason), .checking(_, let reason): reason
                }
            }.joined(separator: "; ")
        }
    }

    private func waitForChange(timeout: Duration) async {
        await withCheckedContinuation { continuation in
            let token = state.withLock { state in
                state.nextWaiter += 1
                state.waiters[state.nextWaiter] = continuation
                return state.nextWaiter
            }
            Task { [self] in
                try? await Task.sleep(for: timeout)
                let waiter = state.withLock { $0.waiters.removeValue(forKey: token) }
                waiter?.resume()
            }
        }
    }

    private func wakeWaiters() {
        let waiters = state.withLock { state in
            defer { state.waiters = [:] }
            return Array(state.waiters.values)
        }
        waiters.forEach { $0.resume() }
    }
}
