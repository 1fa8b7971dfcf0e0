import Synchronization

/// A FIFO of work shared by the worker tasks, with any number of consumers.
///
/// `AsyncStream` allows one consumer only, so waiting workers park as continuations here instead.
final class WorkQueue<Item: Sendable>: Sendable {
    private struct State {
        var items: [Item] = []
        var head = 0
        var waiters: [CheckedContinuation<Item?, Never>] = []
        var closed = false
    }

    private let state = Mutex(State())

    /// Adds an item; returns false once the queue is closed.
    @discardableResult
    func push(_ item: Item) -> Bool {
        let waiter: CheckedContinuation<Item?, Never>? = state.withLock { state in
            guard !state.closed else { return nil }
            if !state.waiters.isEmpty { return state.waiters.removeFirst() }
            state.items.append(item)
            return nil
        }
        waiter?.resume(returning: item)
        return !isClosed
    }

    /// The next item, waiting for one; nil once the queue is closed and drained of waiters.
    func next() async -> Item? {
        await withCheckedContinuation { (continuation: CheckedContinuation<Item?, Never>) in
            let immediate: Item?? = state.withLock { state in
                if state.head < state.items.count {
                    let item = state.items[state.head]
                    state.head += 1
                    if state.head > 1024 && state.head * 2 > state.items.count {
                        state.items.removeFirst(state.head)
                        state.head = 0
                    }
                    return .some(item)
                }
                if state.closed { return .some(nil) }
                state.waiters.append(continuation)
                return .none
            }
            if let immediate { continuation.resume(returning: immediate) }
        }
    }

    /// Stops handing out work: waiting workers get nil, and queued items are returned to the caller.
    func close() -> [Item] {
        let (waiters, remaining) = state.withLock { state in
            state.closed = true
            let waiters = state.waiters
            state.waiters = []
            let remaining = Array(state.items[state.head...])
            state.items = []
            state.head = 0
            return (waiters, remaining)
        }
        for waiter in waiters { waiter.resume(returning: nil) }
        return remaining
    }

    var count: Int { state.withLock { $0.items.count - $0.head } }
    var isClosed: Bool { state.withLock { $0.closed } }
}
