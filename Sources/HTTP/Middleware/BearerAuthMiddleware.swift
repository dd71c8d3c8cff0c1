import Appliance
import Hummingbird

/// Resolves `Authorization: Bearer <token>` into the request's ``Principal``; 401 without a valid token.
struct BearerAuthMiddleware: RouterMiddleware {
    let tokens: TokenService

    func handle(_ request: Request, context: AppRequestContext, next: (Request, AppRequestContext) async throws -> Response) async throws -> Response {
        guard let header = request.headers[.authorization] else { throw Self.unauthorized("send an Authorization: Bearer <token> header") }
        let parts = header.split(separator: " ", maxSplits: 1)
        guard parts.count == 2, parts[0].lowercased() == "bearer" else { throw Self.unauthorized("the Authorization header must use the Bearer scheme") }
        guard let principal = try await tokens.authenticate(String(parts[1].trimmingOptionalWhitespace)) else {
            throw Self.unauthorized("the token is unknown, revoked or expired")
        }
        var context = context
        context.principal = principal
        return try await next(request, context)
    }

    static func unauthorized(_ message: String) -> ApplianceError {
        ApplianceError(.unauthorized, code: "unauthorized", message)
    }
}
