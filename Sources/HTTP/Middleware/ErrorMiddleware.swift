import Appliance
import CoreEngine
import HTTPTypes
import Hummingbird
import ListenerSupport
import Logging
import NIOCore
import Storage

/// Outermost middleware of every route: stamps each response with `x-request-id` and turns every
/// error into `{"error": {"code", "message", "details"}}` with the right status (DESIGN §6).
/// A path that exists under another method answers 405 with `Allow`.
struct ErrorMiddleware<Context: RequestContext>: RouterMiddleware {
    static var requestIDHeader: HTTPField.Name { HTTPField.Name("x-request-id")! }
    /// Where storage faults are reported (`/readyz`).
    let health: StorageHealth

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        var response: Response
        do {
            response = try await next(request, context)
        } catch {
            response = Self.response(for: error, request: request, health: health, logger: context.logger)
        }
        response.headers[Self.requestIDHeader] = context.id
        return response
    }

    /// The JSON error answer for `error`; a storage fault is reported to `health` on the way.
    static func response(for error: any Error, request: Request, health: StorageHealth, logger: Logger) -> Response {
        let failure = classify(error, request: request, health: health, logger: logger)
        var body: [String: JSONValue] = ["code": .string(failure.code), "message": .string(failure.message)]
        body["details"] = failure.details ?? .object([:])
        var headers = failure.headers
        if failure.status == .unauthorized { headers[.wwwAuthenticate] = "Bearer realm=\"scaicore\"" }
        return JSONBody.response(.object(["error": .object(body)]), status: failure.status, headers: headers)
    }

    private struct Failure {
        var status: HTTPResponse.Status
        var code: String
        var message: String
        var details: JSONValue? = nil
        var headers: HTTPFields = [:]
    }

    private static func classify(_ error: any Error, request: Request, health: StorageHealth, logger: Logger) -> Failure {
        if let fault = health.record(ifFault: error) { return storageFailure(fault, logger: logger) }
        switch error {
        case let error as ApplianceError:
            // Back-pressure says when to come back.
            let headers: HTTPFields = error.kind == .tooManyRequests ? [.retryAfter: "1"] : [:]
            return Failure(status: status(of: error.kind), code: error.code, message: error.message, details: error.details, headers: headers)
        case let error as HTTPError where error.status == .notFound:
            let allowed = APICatalog.methods(forPath: request.uri.path)
            if !allowed.isEmpty {
                let list = allowed.map(\.rawValue).joined(separator: ", ")
                return Failure(
                    status: .methodNotAllowed, code: "method_not_allowed", message: "\(request.method.rawValue) is not allowed on this path; use \(list)",
                    details: .object(["allowed": .array(allowed.map { .string($0.rawValue) })]), headers: [.allow: list])
            }
            return Failure(status: .notFound, code: "route_not_found", message: "no route \(request.method.rawValue) \(request.uri.path)")
        case let error as HTTPError:
            return Failure(status: error.status, code: code(of: error.status), message: error.body ?? error.status.reasonPhrase)
        case is NIOTooManyBytesError:
            return Failure(status: .contentTooLarge, code: "payload_too_large", message: "the request body is too large")
        case _ where ClientDisconnect.isClientGone(error):
            // The client closed the connection before its request was read: nothing was done, and
            // it is no failure of ours (counted under 499, logged at info).
            logger.info("client closed the connection", metadata: ["error": "\(error)"])
            return Failure(status: .init(code: ClientDisconnect.status, reasonPhrase: "Client Closed Request"), code: "client_closed",
                           message: "the client closed the connection before the request was read")
        case StorageError.busy(let detail):
            logger.warning("storage busy", metadata: ["error": "\(detail)"])
            return Failure(status: .serviceUnavailable, code: "storage_busy", message: "the store is busy; retry shortly", headers: [.retryAfter: "1"])
        default:
            logger.error("request failed", metadata: ["error": "\(error)"])
            return Failure(status: .internalServerError, code: "internal_error", message: "the appliance failed to handle this request; see its log for the request id")
        }
    }

    /// A full disk is 507 `insufficient_storage` (clients do not retry it); an I/O error is 503
    /// `storage_unavailable` with `Retry-After`.
    private static func storageFailure(_ fault: StorageFault, logger: Logger) -> Failure {
        logger.warning("storage refused the request", metadata: ["fault": "\(fault)"])
        if fault.kind == .full {
            return Failure(status: .init(code: 507, reasonPhrase: "Insufficient Storage"), code: "insufficient_storage",
                           message: "\(fault); nothing was changed. Free space on it: writes resume by themselves.",
                           details: ["store": .string(fault.store.rawValue)])
        }
        return Failure(status: .serviceUnavailable, code: "storage_unavailable", message: "\(fault); nothing was changed. Retry shortly.",
                       details: ["store": .string(fault.store.rawValue)], headers: [.retryAfter: "5"])
    }

    static func status(of kind: ApplianceError.Kind) -> HTTPResponse.Status {
        switch kind {
        case .badRequest: .badRequest
        case .unauthorized: .unauthorized
        case .forbidden: .forbidden
        case .notFound: .notFound
        case .methodNotAllowed: .methodNotAllowed
        case .conflict: .conflict
        case .preconditionFailed: .preconditionFailed
        case .payloadTooLarge: .contentTooLarge
        case .unsupportedMediaType: .unsupportedMediaType
        case .unprocessable: .unprocessableContent
        case .tooManyRequests: .tooManyRequests
        case .unavailable: .serviceUnavailable
        case .internalError: .internalServerError
        }
    }

    private static func code(of status: HTTPResponse.Status) -> String {
        status.reasonPhrase.lowercased().replacingOccurrences(of: " ", with: "_").replacingOccurrences(of: "-", with: "_")
    }
}
