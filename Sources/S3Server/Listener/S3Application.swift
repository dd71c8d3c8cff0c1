import Hummingbird
import ListenerSupport
import Logging
import NIOCore
import Storage

/// Builds the S3-compatible HTTP listener over `store`.
///
/// Every request must be signed with AWS Signature Version 4 (header or presigned URL) by a key
/// `credentials` knows; the key's tenant owns the buckets the request reaches. Path-style and
/// virtual-hosted-style (`bucket.<rootDomain>`) addressing are both served.
///
/// - Parameters:
///   - store: the object store buckets and objects live in.
///   - credentials: resolves access key ids to secrets and tenants.
///   - configuration: address, region, root domain and limits.
///   - logger: the listener's logger (each request's lines carry its request id).
///   - health: where storage faults (a full disk, I/O errors) are reported, if anywhere.
///   - onBreach: hears of every connection closed for breaking `configuration.limits` (for a metric).
///   - onServerRunning: receives the bound address once listening (its port is the real one when
///     the configured port is 0).
public func buildS3Application(
    store: any ObjectStore,
    credentials: any S3CredentialStore,
    configuration: S3ServerConfiguration,
    logger: Logger,
    health: StorageHealth? = nil,
    onBreach: @escaping @Sendable (ConnectionLimits.Breach) -> Void = { _ in },
    onServerRunning: @escaping @Sendable (SocketAddress?) async -> Void = { _ in }
) -> some ApplicationProtocol {
    Application(
        responder: S3Responder(store: store, credentials: credentials, configuration: configuration, health: health),
        server: .guardedHTTP1(limits: configuration.limits, onBreach: onBreach),
        configuration: .init(
            address: .hostname(configuration.host, port: configuration.port),
            serverName: "scaicore-appliance-s3"),
        onServerRunning: { channel in await onServerRunning(channel.localAddress) },
        logger: logger)
}
