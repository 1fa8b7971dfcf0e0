import Testing

@testable import DaemonSupport

#if canImport(Glibc)
    import Glibc
#endif

struct UnixSignalsTests {
    /// Returns the next `count` signals from `stream`, or fewer when `seconds` pass first.
    func nextSignals(_ stream: AsyncStream<UnixSignal>, count: Int, within seconds: Int) async -> [UnixSignal] {
        await withTaskGroup(of: [UnixSignal]?.self) { group in
            group.addTask {
                var received: [UnixSignal] = []
                for await signal in stream {
                    received.append(signal)
                    if received.count == count { break }
                }
                return received
            }
            group.addTask {
                try? await Task.sleep(for: .seconds(seconds))
                return nil
            }
            let first = await group.next() ?? nil
            group.cancelAll()
            return first ?? []
        }
    }

    /// Only SIGHUP and SIGINT are sent: both are ignored before the sources exist, so the test runner survives
    /// even when delivery fails, and the stream's contents show the failure.
    @Test(arguments: [UnixSignal.hangup, .interrupt])
    func signalSentToProcessReachesStream(_ signal: UnixSignal) async {
        let stream = UnixSignals.makeStream(trapping: [signal])

        kill(getpid(), signal.rawValue)

        #expect(await nextSignals(stream, count: 1, within: 10) == [signal])
    }

    @Test func repeatedHangupsAreAllDelivered() async {
        let stream = UnixSignals.makeStream(trapping: [.hangup])

        for _ in 0..<3 {
            kill(getpid(), SIGHUP)
            try? await Task.sleep(for: .milliseconds(50))
        }

        #expect(await nextSignals(stream, count: 3, within: 10) == [.hangup, .hangup, .hangup])
    }

    @Test func trappedSignalNoLongerHasDefaultAction() {
        _ = UnixSignals.makeStream(trapping: [.hangup])

        #expect(signalHandlerAddress(SIGHUP) != unsafeBitCast(SIG_DFL, to: Int.self))
    }

    @Test func endedStreamDoesNotStopOtherStreams() async {
        let kept = UnixSignals.makeStream(trapping: [.hangup])
        var ended: AsyncStream<UnixSignal>? = UnixSignals.makeStream(trapping: [.hangup])
        ended = nil

        kill(getpid(), SIGHUP)

        #expect(ended == nil)
        #expect(await nextSignals(kept, count: 1, within: 10) == [.hangup])
    }

    @Test func streamReceivesOnlyTrappedSignals() async {
        let interruptStream = UnixSignals.makeStream(trapping: [.interrupt])
        let hangupStream = UnixSignals.makeStream(trapping: [.hangup])

        kill(getpid(), SIGHUP)
        kill(getpid(), SIGINT)

        #expect(await nextSignals(hangupStream, count: 1, within: 10) == [.hangup])
        #expect(await nextSignals(interruptStream, count: 1, within: 10) == [.interrupt])
    }

    /// Returns the address of the current handler of `signal`, because function pointers are not Equatable.
    func signalHandlerAddress(_ signal: CInt) -> Int {
        var action = sigaction()
        sigaction(signal, nil, &action)
        return unsafeBitCast(action.__sigaction_handler.sa_handler, to: Int.self)
    }

    @Test(arguments: zip([UnixSignal.terminate, .interrupt, .hangup], ["SIGTERM", "SIGINT", "SIGHUP"]))
    func signalNamesMatchC(_ signal: UnixSignal, _ name: String) {
        #expect(signal.description == name)
        #expect(String(cString: strsignal(signal.rawValue)).isEmpty == false)
    }
}
