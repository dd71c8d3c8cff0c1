/// How long a listener waits for a client, and how slow a request body may arrive
/// (docs/configuration.md, `http.*` and `s3.*`). There is no limit on a request's total time:
/// long polls, event streams, slow model calls and large uploads at a normal rate run as long as
/// they need.
public struct ConnectionLimits: Sendable, Equatable {
    /// From a connection's opening, or a request's first byte, to its complete head.
    public var headerTimeout: Duration
    /// With no request in flight on a kept-alive connection, until its next request begins.
    public var idleTimeout: Duration
    /// While a request body is being received, the least bytes per second over each ``bodyRateWindow``.
    /// 0 turns the check off.
    public var minBodyBytesPerSecond: Int
    /// The window the body rate is measured over.
    public var bodyRateWindow: Duration

    public init(headerTimeout: Duration = .seconds(10), idleTimeout: Duration = .seconds(60),
                minBodyBytesPerSecond: Int = 1024, bodyRateWindow: Duration = .seconds(30)) {
        self.headerTimeout = headerTimeout
        self.idleTimeout = idleTimeout
        self.minBodyBytesPerSecond = minBodyBytesPerSecond
        self.bodyRateWindow = bodyRateWindow
    }

    /// Why a connection was closed by its limits (the `reason` label of the metric).
    public enum Breach: String, Sendable, CaseIterable {
        case headerTimeout = "header_timeout"
        case idleTimeout = "idle_timeout"
        case slowBody = "slow_body"
    }
}
