import Synchronization

/// The time source for settling and timeouts, injectable so tests can step time.
public protocol MonitorClock: Sendable {
    var now: ContinuousClock.Instant { get }
}

/// The real monotonic clock.
public struct SystemMonitorClock: MonitorClock {
    public init() {}
    public var now: ContinuousClock.Instant { ContinuousClock.now }
}

/// A clock that moves only when `advance(by:)` is called.
public final class ManualMonitorClock: MonitorClock {
    private let current = Mutex(ContinuousClock.now)

    public init() {}

    public var now: ContinuousClock.Instant { current.withLock { $0 } }

    public func advance(by duration: Duration) {
        current.withLock { $0 = $0.advanced(by: duration) }
    }
}
