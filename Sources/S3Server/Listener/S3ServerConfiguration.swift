import Foundation
import ListenerSupport

/// Settings of the S3-compatible listener.
public struct S3ServerConfiguration: Sendable, Equatable {
    /// The address to bind.
    public var host: String
    /// The port to bind; 0 picks a free one (the bound address is passed to `onServerRunning`).
    public var port: Int
    /// The region signatures must be scoped to and `GetBucketLocation` answers (Garage's default
    /// is `garage`).
    public var region: String
    /// The domain under which `bucket.<rootDomain>` hosts select virtual-hosted-style addressing.
    public var rootDomain: String
    /// The largest object (or part) body accepted, in bytes.
    public var maxObjectBytes: Int64
    /// The largest accepted distance between a request's signing time and the server clock.
    public var maxClockSkew: TimeInterval
    /// How long a connection may wait to send a head, stay idle, or trickle a body.
    public var limits: ConnectionLimits

    /// The S3 limit on one part of a multipart upload (5 GiB).
    public static let maxPartBytes: Int64 = 5 << 30

    /// Creates a configuration.
    public init(
        host: String = "127.0.0.1",
        port: Int = 3900,
        region: String = "garage",
        rootDomain: String = "localhost",
        maxObjectBytes: Int64 = 5 << 30,
        maxClockSkew: TimeInterval = 15 * 60,
        limits: ConnectionLimits = ConnectionLimits()
    ) {
        self.limits = limits
        self.host = host
        self.port = port
        self.region = region
        self.rootDomain = rootDomain
        self.maxObjectBytes = maxObjectBytes
        self.maxClockSkew = maxClockSkew
    }
}
