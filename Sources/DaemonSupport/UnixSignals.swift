@preconcurrency import Dispatch
import Synchronization

#if canImport(Glibc)
    @preconcurrency import Glibc
#endif

/// The signals the daemon handles: systemd's stop request, Ctrl-C and the reload request.
public enum UnixSignal: Sendable, Hashable, CaseIterable, CustomStringConvertible {
    /// `SIGTERM`, sent by `systemctl stop`: shut down gracefully.
    case terminate
    /// `SIGINT`, sent by Ctrl-C in a terminal: shut down gracefully.
    case interrupt
    /// `SIGHUP`, sent by `systemctl reload` through `ExecReload=`: reload configuration and recipes.
    case hangup

    /// The signal number.
    public var rawValue: CInt {
        switch self {
        case .terminate: SIGTERM
        case .interrupt: SIGINT
        case .hangup: SIGHUP
        }
    }

    public var description: String {
        switch self {
        case .terminate: "SIGTERM"
        case .interrupt: "SIGINT"
        case .hangup: "SIGHUP"
        }
    }
}

/// Delivery of Unix signals as `AsyncStream`s, through one Dispatch signal source per signal and process.
///
/// NOTE: With the libdispatch of Swift 6.3.1 on Linux, registering a signal source replaces the `SIG_IGN`
/// disposition with libdispatch's own handler. Cancelling a source restored `SIG_IGN`, and other sources of the
/// same signal then missed deliveries. So the sources here are created once and never cancelled, and every
/// stream shares them.
public enum UnixSignals {
    /// Ignores each of `signals` (so its default action, ending the process, never applies), makes sure a
    /// Dispatch source is registered for it, and returns a stream that yields each delivery.
    ///
    /// The sources are registered with the kernel before this function returns, so a caller can send
    /// `READY=1` right after it and no later signal is lost. A signal delivered twice before the handler runs
    /// is yielded twice. Every stream receives every delivery of the signals it traps, and ending a stream
    /// only removes it from the list of receivers.
    public static func makeStream(trapping signals: [UnixSignal] = UnixSignal.allCases) -> AsyncStream<UnixSignal> {
        let (stream, continuation) = AsyncStream.makeStream(of: UnixSignal.self)

        // Subscribe first, so a signal that arrives while its source registers already has a receiver.
        let subscriberID = subscribers.withLock { subscribers in
            subscribers.nextID += 1
            subscribers.byID[subscribers.nextID] = Subscriber(signals: Set(signals), continuation: continuation)
            return subscribers.nextID
        }
        continuation.onTermination = { _ in
            subscribers.withLock { _ = $0.byID.removeValue(forKey: subscriberID) }
        }

        sources.withLock { sources in
            for signal in signals where sources[signal] == nil {
                sources[signal] = makeRegisteredSource(for: signal)
            }
        }
        return stream
    }

    private struct Subscriber {
        let signals: Set<UnixSignal>
        let continuation: AsyncStream<UnixSignal>.Continuation
    }

    private struct Subscribers {
        var byID: [UInt64: Subscriber] = [:]
        var nextID: UInt64 = 0
    }

    /// The streams to deliver to. Signal handlers lock only this, never `sources`.
    private static let subscribers = Mutex(Subscribers())
    /// The registered sources. `makeStream` holds this lock while it waits for a registration, which runs on
    /// `queue`, so the event handlers on `queue` must never take it.
    private static let sources = Mutex<[UnixSignal: any DispatchSourceSignal]>([:])
    private static let queue = DispatchQueue(label: "kontextd.unix-signals")

    /// Sets `signal` to `SIG_IGN`, creates its source and waits until Dispatch has registered it.
    private static func makeRegisteredSource(for signal: UnixSignal) -> any DispatchSourceSignal {
        Glibc.signal(signal.rawValue, SIG_IGN)
        let source = DispatchSource.makeSignalSource(signal: signal.rawValue, queue: queue)

        // The handler keeps the source alive, which is intended because it is never cancelled.
        source.setEventHandler {
            // `data` counts the deliveries merged into this one event.
            deliver(signal, times: max(1, Int(source.data)))
        }

        // The registration handler runs on `queue` once the kernel side is in place.
        let registered = DispatchSemaphore(value: 0)
        source.setRegistrationHandler { registered.signal() }
        source.resume()
        registered.wait()
        return source
    }

    private static func deliver(_ signal: UnixSignal, times: Int) {
        let receivers = subscribers.withLock { subscribers in
            subscribers.byID.values.filter { $0.signals.contains(signal) }.map(\.continuation)
        }
        for receiver in receivers {
            for _ in 0..<times {
                receiver.yield(signal)
            }
        }
    }
}
