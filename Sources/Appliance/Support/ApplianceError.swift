import CoreEngine

/// A domain error with a stable machine-readable code. The HTTP layer maps ``Kind`` onto a status
/// and renders `{"error": {"code", "message", "details"}}`.
public struct ApplianceError: Error, Sendable, CustomStringConvertible {
    public enum Kind: Sendable {
        case badRequest, unauthorized, forbidden, notFound, methodNotAllowed, conflict
        case preconditionFailed, payloadTooLarge, unsupportedMediaType, unprocessable, tooManyRequests, unavailable, internalError
    }

    public let kind: Kind
    public let code: String
    public let message: String
    public let details: JSONValue?

    public init(_ kind: Kind, code: String, _ message: String, details: JSONValue? = nil) {
        self.kind = kind
        self.code = code
        self.message = message
        self.details = details
    }

    public var description: String { "\(code): \(message)" }
}

extension ApplianceError {
    public static func notFound(_ what: String, id: String) -> ApplianceError {
        ApplianceError(.notFound, code: "not_found", "\(what) '\(id)' does not exist", details: .object(["id": .string(id)]))
    }

    public static func invalidRequest(_ problems: [FieldProblem]) -> ApplianceError {
        let summary = problems.map { "\($0.path): \($0.problem)" }.joined(separator: "; ")
        return ApplianceError(
            .badRequest, code: "invalid_request", "the request body is invalid: \(summary)",
            details: .object(["problems": .array(problems.map(\.json))]))
    }
}

/// One problem found in a request, named by the path of the offending field.
public struct FieldProblem: Sendable, Equatable {
    public let path: String
    public let problem: String

    public init(_ path: String, _ problem: String) {
        self.path = path
        self.problem = problem
    }

    var json: JSONValue { .object(["path": .string(path), "problem": .string(problem)]) }
}
