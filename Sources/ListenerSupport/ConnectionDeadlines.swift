/// The clock of one HTTP/1.1 connection against its ``ConnectionLimits``: a state machine fed
/// with what happens on the connection, answering when to look next and whether to close.
///
/// A connection is, at any time, in one of four phases:
/// - *awaiting a head* — just opened, or bytes of a new request arrived: ``ConnectionLimits/headerTimeout``;
/// - *receiving a body* — head read, end not yet: at least ``ConnectionLimits/minBodyBytesPerSecond``
///   over each window, counting only the time the server was asking for data (a server that
///   reads slowly, such as an upload streamed to disk, does not count against the client);
/// - *processing* — a request was read and its response has not ended: no limit at all;
/// - *idle* — no request in flight: ``ConnectionLimits/idleTimeout``;
/// - *lingering* — the server closed its side (after `Connection: close`) and waits for the client
///   to close: ``ConnectionLimits/idleTimeout`` too, whatever else the client sent.
///
/// Times are nanoseconds of a monotonic clock, given by the caller (tests drive it by hand).
public struct ConnectionDeadlines: Sendable {
    public let limits: ConnectionLimits
    private var bodyOpen = false
    private var awaitingResponses = 0
    private var headStarted = true
    /// Start of the current wait for a head, or of the idle time.
    private var waitingSince: UInt64
    private var windowStart: UInt64 = 0
    private var windowBytes = 0
    private var pausedTotal: UInt64 = 0
    private var pausedSince: UInt64?
    private var lingering = false

    public init(limits: ConnectionLimits, openedAt now: UInt64) {
        self.limits = limits
        waitingSince = now
    }

    /// Bytes arrived from the client.
    public mutating func bytesArrived(_ count: Int, at now: UInt64) {
        if bodyOpen {
            windowBytes += count
        } else if !headStarted, count > 0 {
            headStarted = true
            waitingSince = now
        }
    }

    /// A request's head was decoded.
    public mutating func headReceived(at now: UInt64) {
        headStarted = false
        bodyOpen = true
        awaitingResponses += 1
        windowStart = now
        windowBytes = 0
        pausedTotal = 0
        pausedSince = nil
    }

    /// A request's end was decoded.
    public mutating func endReceived(at now: UInt64) {
        bodyOpen = false
        // Answered before its body was read (a refusal), then drained: idle from now on.
        if awaitingResponses == 0, !headStarted { waitingSince = now }
    }

    /// The server closed its side of the connection: the client has the idle timeout to close its own.
    public mutating func outputClosed(at now: UInt64) {
        lingering = true
        waitingSince = now
    }

    /// A response's end was written.
    public mutating func responseEnded(at now: UInt64) {
        awaitingResponses = max(0, awaitingResponses - 1)
        if awaitingResponses == 0, !bodyOpen, !headStarted { waitingSince = now }
    }

    /// The server asks the socket for more data.
    public mutating func readRequested(at now: UInt64) {
        if let since = pausedSince {
            pausedTotal += now &- since
            pausedSince = nil
        }
    }

    /// A batch of reads completed; until the server asks again, the client is not waited for.
    public mutating func readCompleted(at now: UInt64) {
        if bodyOpen, pausedSince == nil { pausedSince = now }
    }

    /// When ``check(at:)`` should next run; nil while a request is being processed.
    public var nextCheck: UInt64? {
        if lingering { return waitingSince + Self.nanoseconds(limits.idleTimeout) }
        if bodyOpen { return limits.minBodyBytesPerSecond > 0 ? windowStart + Self.nanoseconds(limits.bodyRateWindow) : nil }
        if headStarted { return waitingSince + Self.nanoseconds(limits.headerTimeout) }
        if awaitingResponses == 0 { return waitingSince + Self.nanoseconds(limits.idleTimeout) }
        return nil
    }

    /// The limit the connection broke by `now`, if any; a finished body-rate window starts the next.
    public mutating func check(at now: UInt64) -> ConnectionLimits.Breach? {
        if lingering {
            return now &- waitingSince >= Self.nanoseconds(limits.idleTimeout) ? .idleTimeout : nil
        }
        if bodyOpen {
            let window = Self.nanoseconds(limits.bodyRateWindow)
            guard limits.minBodyBytesPerSecond > 0, now &- windowStart >= window else { return nil }
            let paused = pausedTotal + (pausedSince.map { now &- $0 } ?? 0)
            let active = (now &- windowStart) > paused ? (now &- windowStart) - paused : 0
            defer {
                windowStart = now
                windowBytes = 0
                pausedTotal = 0
                pausedSince = pausedSince.map { _ in now }
            }
            // Judge only a window in which the server was asking for data at least half the time.
            guard active * 2 >= window else { return nil }
            let required = Double(limits.minBodyBytesPerSecond) * Double(active) / 1e9
            return Double(windowBytes) < required ? .slowBody : nil
        }
        if headStarted {
            return now &- waitingSince >= Self.nanoseconds(limits.headerTimeout) ? .headerTimeout : nil
        }
        if awaitingResponses == 0 {
            return now &- waitingSince >= Self.nanoseconds(limits.idleTimeout) ? .idleTimeout : nil
        }
        return nil
    }

    static func nanoseconds(_ duration: Duration) -> UInt64 {
        let (seconds, attoseconds) = duration.components
        return UInt64(max(0, seconds)) * 1_000_000_000 + UInt64(max(0, attoseconds) / 1_000_000_000)
    }
}
