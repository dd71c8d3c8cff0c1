import Foundation
import Hummingbird
import ListenerSupport
import Logging
import NIOCore
import Storage

/// The one responder of the S3 listener. Hummingbird's path router is not used: S3 keys contain
/// slashes and anything else, so the raw request target is parsed here (``RequestTarget``),
/// the request authenticated (``RequestAuthenticator``), the operation chosen
/// (``S3Operation/resolve(method:target:headers:)``) and run (``S3Handler``). Every response
/// carries `x-amz-request-id`; every failure becomes an S3 `<Error>` document.
struct S3Responder: HTTPResponder {
    typealias Context = S3RequestContext

    let handler: S3Handler
    let authenticator: RequestAuthenticator
    let configuration: S3ServerConfiguration

    /// Where storage faults are reported (the appliance's `/readyz`).
    let health: StorageHealth?

    init(store: any ObjectStore, credentials: any S3CredentialStore, configuration: S3ServerConfiguration, health: StorageHealth?) {
        self.health = health
        handler = S3Handler(store: store, configuration: configuration)
        authenticator = RequestAuthenticator(credentials: credentials, region: configuration.region, maxClockSkew: configuration.maxClockSkew)
        self.configuration = configuration
    }

    func respond(to request: Request, context: S3RequestContext) async throws -> Response {
        let started = ContinuousClock.now
        let requestID = context.id
        let bodyState = BodyState()
        let rawTarget = request.head.path ?? "/"
        var target: RequestTarget?
        var operation: S3Operation?
        var response: Response
        do {
            let parsed = try RequestTarget(target: rawTarget, host: request.head.authority, rootDomain: configuration.rootDomain)
            target = parsed
            let authenticated = try await authenticator.authenticate(request, target: parsed)
            let resolved = try S3Operation.resolve(method: request.method, target: parsed, headers: request.headers)
            operation = resolved
            let call = S3Call(
                request: request, context: context, target: parsed, operation: resolved, credential: authenticated.credential,
                payload: try PayloadReader(request: request, authenticated: authenticated), bodyState: bodyState)
            response = try await handler.handle(call)
        } catch where ClientDisconnect.isClientGone(error) {
            // The client went away mid-request: nothing was stored, and it is no failure of ours.
            context.logger.info("client closed the connection", metadata: ["error": "\(error)"])
            response = Response(status: .init(code: ClientDisconnect.status, reasonPhrase: "Client Closed Request"), headers: [.connection: "close"])
        } catch {
            let failure = S3Error.from(error, health: health, logger: context.logger)
            let resource = target?.resource ?? String(rawTarget.prefix { $0 != "?" })
            response = S3ErrorResponse.response(failure, resource: resource, requestID: requestID, isHead: request.method == .head)
            if Self.shouldCloseUnreadBody(request, opened: bodyState.isOpened) {
                // The client waits for `100 Continue` before sending the body, or sends a very
                // large one (perhaps refused half-way): close the connection after this response
                // rather than read the rest.
                response.headers[.connection] = "close"
                context.channel?.pipeline.fireUserInboundEventTriggered(ChannelShouldQuiesceEvent())
            }
            if Self.isServerFailure(response.status) {
                context.logger.error("S3 request failed", metadata: ["code": "\(failure.code)"])
            } else {
                context.logger.debug("S3 request refused", metadata: ["code": "\(failure.code)", "message": "\(failure.message)"])
            }
        }
        response.headers[.amzRequestID] = requestID
        response.headers[.amzID2] = requestID
        Self.logAccess(request: request, target: target, operation: operation, response: response, started: started, logger: context.logger)
        return response
    }

    /// Whether a status reports a failure of this server (501 NotImplemented is the client asking
    /// for a feature, not a fault).
    static func isServerFailure(_ status: HTTPResponse.Status) -> Bool {
        status.code >= 500 && status != .notImplemented
    }

    /// Bodies larger than this are not drained after a refusal: the connection is closed instead.
    static let maxDrainedBody: Int64 = 64 << 20

    /// Whether a refused request's unread body should end the connection: the client sent
    /// `Expect: 100-continue` (it will not send the body, so the stream cannot be reused), or the
    /// announced body is too large to read and discard. Smaller bodies are drained by the server
    /// and the connection kept (closing on unread bytes could reset it before the client reads
    /// the error).
    static func shouldCloseUnreadBody(_ request: Request, opened: Bool = false) -> Bool {
        let length = request.headers[.contentLength].flatMap { Int64($0) }
        if !opened, request.headers[.expect]?.lowercased() == "100-continue" {
            return length.map { $0 > 0 } ?? true
        }
        if let length { return length > maxDrainedBody }
        return false
    }

    /// One line per request: method, bucket, operation, status, duration (never keys' secrets or
    /// signatures; the key itself is logged at debug level only).
    private static func logAccess(
        request: Request, target: RequestTarget?, operation: S3Operation?, response: Response, started: ContinuousClock.Instant, logger: Logger
    ) {
        let elapsed = ContinuousClock.now - started
        let (seconds, attoseconds) = elapsed.components
        let milliseconds = Double(seconds) * 1000 + Double(attoseconds) / 1e15
        var metadata: Logger.Metadata = [
            "status": "\(response.status.code)",
            "duration_ms": "\((milliseconds * 1000).rounded() / 1000)",
        ]
        if let operation { metadata["operation"] = "\(operation.rawValue)" }
        if let bucket = target?.bucket { metadata["bucket"] = "\(bucket)" }
        if logger.logLevel <= .debug, let key = target?.key { metadata["key"] = "\(key)" }
        logger.log(
            level: isServerFailure(response.status) ? .error : .info,
            "\(request.method.rawValue) \(operation?.rawValue ?? "-") \(response.status.code)",
            metadata: metadata)
    }
}
