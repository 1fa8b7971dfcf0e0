import Testing

@testable import HotFolder

/// The monitor's sleep between ticks ends on a timeout or on a signal, whichever comes first.
@Suite(.timeLimit(.minutes(1)))
struct WakeSignalTests {
    @Test func signalBeforeWaitEndsNextWait() async {
        let signal = WakeSignal()
        signal.signal()

        // Without the pending signal this would sleep for an hour and hit the time limit.
        await signal.wait(timeout: .seconds(3600))
    }

    @Test func signalDuringWaitEndsIt() async {
        let signal = WakeSignal()
        let sender = Task {
            try? await Task.sleep(for: .milliseconds(50))
            signal.signal()
        }

        await signal.wait(timeout: .seconds(3600))
        await sender.value
    }

    @Test func waitEndsAfterTimeoutWithoutSignal() async {
        let signal = WakeSignal()

        await signal.wait(timeout: .milliseconds(20))
        await signal.wait(timeout: .milliseconds(20))
    }

    @Test func oneSignalWakesOneWait() async {
        let signal = WakeSignal()
        signal.signal()
        signal.signal()

        await signal.wait(timeout: .seconds(3600))
        // The second signal was folded into the first, so this wait runs to its timeout.
        await signal.wait(timeout: .milliseconds(20))
    }
}
