import Hummingbird
import Logging
import NIOCore
import NIOHTTPTypes
import Storage
import Synchronization

/// Whether a request's body has been opened, so that a failed request whose body was never read
/// can close its connection instead of leaving the client's bytes in the stream.
final class BodyState: Sendable {
    private let opened = Mutex(false)

    /// Marks the body opened; answers whether it already was.
    func open() -> Bool {
        opened.withLock { value in
            defer { value = true }
            return value
        }
    }

    var isOpened: Bool { opened.withLock { $0 } }
}

/// One authenticated request on its way through an operation.
struct S3Call: Sendable {
    let request: Request
    let context: S3RequestContext
    let target: RequestTarget
    let operation: S3Operation
    let credential: S3Credential
    let payload: PayloadReader
    let bodyState: BodyState

    var headers: HTTPFields { request.headers }
    var query: QueryParameters { target.query }
    var tenant: String { credential.tenant }
    var logger: Logger { context.logger }

    /// The bucket (routing guarantees one for every bucket and object operation).
    func bucket() throws(S3Error) -> String {
        guard let bucket = target.bucket else { throw S3Error.invalidBucketName("The request names no bucket") }
        return bucket
    }

    /// The key (routing guarantees one for every object operation), checked before any body is
    /// read: more than 1,024 bytes throws ``S3Error`` `KeyTooLongError`, a NUL `InvalidArgument`.
    func key() throws(S3Error) -> String {
        guard let key = target.key else { throw S3Error.invalidArgument("The request names no object key") }
        try Self.validateKey(key)
        return key
    }

    /// Checks a key with the store's naming rules.
    static func validateKey(_ key: String) throws(S3Error) {
        guard key.utf8.count <= ObjectNames.maxKeyBytes else { throw S3Error.keyTooLong() }
        do throws(ObjectStoreError) {
            try ObjectNames.validateKey(key)
        } catch {
            throw S3Error(error)
        }
    }

    /// The request body, after sending `100 Continue` when the client waits for it.
    func body() async -> RequestBody {
        if !bodyState.open(), let channel = context.channel,
            request.headers[.expect]?.lowercased() == "100-continue"
        {
            try? await channel.writeAndFlush(HTTPResponsePart.head(HTTPResponse(status: .continue)))
        }
        return request.body
    }

    /// Streams the payload into `sink` with every check of ``PayloadReader``.
    func readBody(limit: Int64, sink: ([UInt8]) async throws -> Void) async throws {
        // Refused before the body is opened, so a client waiting for `100 Continue` never sends it.
        if let declared = payload.declaredLength, declared > limit { throw S3Error.entityTooLarge(limit: limit) }
        try await payload.read(await body(), limit: limit, sink: sink)
    }

    /// Reads a small (XML) body whole, at most `limit` bytes.
    func collectBody(limit: Int = XMLDocumentParser.defaultLimit, checksumHeader: Bool = true) async throws -> [UInt8] {
        try await payload.collect(await body(), limit: limit, checksumHeader: checksumHeader)
    }
}
