import Hummingbird
import NIOCore

/// The request context of the S3 listener: Hummingbird's core storage plus the connection's
/// channel (used to send `100 Continue` and to close a connection whose body was not read).
public struct S3RequestContext: RequestContext {
    /// Hummingbird's per-request storage (logger with the request id, endpoint path).
    public var coreContext: CoreRequestContextStorage
    /// The connection; nil in the router test framework.
    let channel: (any Channel)?

    /// Creates the context of one request.
    public init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
        channel = source.channel
    }
}
