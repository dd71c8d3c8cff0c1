import ListenerSupport
import Testing

/// The connection clock of the listeners, driven by hand: seconds are whole numbers here.
@Suite struct ConnectionDeadlinesTests {
    static let second: UInt64 = 1_000_000_000
    let limits = ConnectionLimits(headerTimeout: .seconds(10), idleTimeout: .seconds(60), minBodyBytesPerSecond: 1024, bodyRateWindow: .seconds(30))

    private func at(_ seconds: UInt64) -> UInt64 { 1_000 * Self.second + seconds * Self.second }

    @Test func aNewConnectionMustSendItsHeadWithinTheHeaderTimeout() {
        var clock = ConnectionDeadlines(limits: limits, openedAt: at(0))
        #expect(clock.nextCheck == at(10))
        clock.bytesArrived(5, at: at(3))  // half a head: the clock keeps running from the opening
        #expect(clock.check(at: at(9)) == nil)
        #expect(clock.check(at: at(10)) == .headerTimeout)
    }

    @Test func aKeptAliveConnectionIsIdleUntilItsNextRequestThenHasTheHeaderTimeout() {
        var clock = ConnectionDeadlines(limits: limits, openedAt: at(0))
        clock.headReceived(at: at(1))
        clock.endReceived(at: at(1))
        #expect(clock.nextCheck == nil, "no limit while the request is processed")
        #expect(clock.check(at: at(500)) == nil, "a long poll is never cut")
        clock.responseEnded(at: at(500))
        #expect(clock.nextCheck == at(560))
        #expect(clock.check(at: at(559)) == nil)
        clock.bytesArrived(10, at: at(559))
        #expect(clock.nextCheck == at(569))
        #expect(clock.check(at: at(568)) == nil)
        #expect(clock.check(at: at(569)) == .headerTimeout)
    }

    @Test func anIdleConnectionIsClosedAfterTheIdleTimeout() {
        var clock = ConnectionDeadlines(limits: limits, openedAt: at(0))
        clock.headReceived(at: at(0))
        clock.endReceived(at: at(0))
        clock.responseEnded(at: at(1))
        #expect(clock.check(at: at(61)) == .idleTimeout)
    }

    @Test func aBodyBelowTheMinimumRateOverAWindowBreaksTheLimit() {
        var clock = ConnectionDeadlines(limits: limits, openedAt: at(0))
        clock.headReceived(at: at(0))
        #expect(clock.nextCheck == at(30))
        for second in 1...29 { clock.bytesArrived(1000, at: at(UInt64(second))) }  // 29,000 < 30 × 1024
        #expect(clock.check(at: at(30)) == .slowBody)
    }

    @Test func aBodyAtTheMinimumRateKeepsGoingWindowAfterWindow() {
        var clock = ConnectionDeadlines(limits: limits, openedAt: at(0))
        clock.headReceived(at: at(0))
        for window in 0..<100 {  // 50 minutes of upload: no total limit
            clock.bytesArrived(31 * 1024, at: at(UInt64(window * 30 + 1)))
            #expect(clock.check(at: at(UInt64(window * 30 + 30))) == nil)
        }
        clock.endReceived(at: at(3000))
        #expect(clock.nextCheck == nil)
    }

    @Test func timeTheServerSpentNotReadingDoesNotCountAgainstTheClient() {
        var clock = ConnectionDeadlines(limits: limits, openedAt: at(0))
        clock.headReceived(at: at(0))
        clock.bytesArrived(64 * 1024, at: at(1))
        clock.readCompleted(at: at(1))  // the server stops asking (back-pressure) for 25 s
        clock.readRequested(at: at(26))
        clock.bytesArrived(1000, at: at(27))
        #expect(clock.check(at: at(30)) == nil, "a window in which the server mostly did not read is not judged")
        clock.readCompleted(at: at(31))
        clock.readRequested(at: at(31))
        #expect(clock.check(at: at(60)) == .slowBody, "a full window of asking for data and getting none")
    }

    @Test func aZeroRateTurnsTheBodyCheckOff() {
        var clock = ConnectionDeadlines(limits: ConnectionLimits(minBodyBytesPerSecond: 0), openedAt: at(0))
        clock.headReceived(at: at(0))
        #expect(clock.nextCheck == nil)
        #expect(clock.check(at: at(10_000)) == nil)
    }

    @Test func aResponseBeforeTheBodyThenADrainStartsTheIdleClockAtTheBodysEnd() {
        var clock = ConnectionDeadlines(limits: limits, openedAt: at(0))
        clock.headReceived(at: at(0))
        clock.responseEnded(at: at(1))  // refused at once (401); the body is drained after it
        for second in 2...100 { clock.bytesArrived(64 << 10, at: at(UInt64(second))) }
        clock.endReceived(at: at(100))
        #expect(clock.nextCheck == at(160))
        #expect(clock.check(at: at(159)) == nil)
    }

    @Test func aConnectionTheServerClosedLingersAtMostTheIdleTimeout() {
        var clock = ConnectionDeadlines(limits: limits, openedAt: at(0))
        clock.headReceived(at: at(0))  // `Connection: close`, then a pipelined request never answered
        clock.endReceived(at: at(0))
        clock.headReceived(at: at(0))
        clock.responseEnded(at: at(1))
        clock.outputClosed(at: at(1))
        #expect(clock.nextCheck == at(61))
        #expect(clock.check(at: at(61)) == .idleTimeout)
    }

    @Test func aPipelinedRequestDuringProcessingStartsTheHeaderClockOnlyForItsBytes() {
        var clock = ConnectionDeadlines(limits: limits, openedAt: at(0))
        clock.headReceived(at: at(0))
        clock.endReceived(at: at(0))
        clock.headReceived(at: at(0))  // a second request already decoded while the first runs
        clock.endReceived(at: at(0))
        clock.responseEnded(at: at(100))
        #expect(clock.nextCheck == nil, "the second request is still being processed")
        clock.responseEnded(at: at(200))
        #expect(clock.nextCheck == at(260))
    }
}
