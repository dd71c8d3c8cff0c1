import Appliance
import Hummingbird

/// The request context of every route: Hummingbird's core storage plus the authenticated caller.
public struct AppRequestContext: RequestContext {
    public var coreContext: CoreRequestContextStorage
    /// Set by ``BearerAuthMiddleware`` on authenticated routes.
    public var principal: Principal?

    public init(source: Source) {
        coreContext = .init(source: source)
    }

    /// The caller, after checking that its role grants `permission` (401 / 403 otherwise).
    public func require(_ permission: Permission) throws -> Principal {
        guard let principal else { throw BearerAuthMiddleware.unauthorized("authentication required") }
        try principal.require(permission)
        return principal
    }

    /// Audit context for a change made by this request.
    func action(reason: String? = nil) -> ActionContext {
        ActionContext(principal: principal, requestID: id, reason: reason)
    }
}
