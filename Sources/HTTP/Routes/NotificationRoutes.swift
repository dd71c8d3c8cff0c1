import Appliance
import CoreEngine
import Hummingbird

/// `GET /notifications` (the outbox) and `GET /me` (who the token is).
struct NotificationRoutes {
    let appliance: Appliance
    static let statuses = ["pending", "sent", "failed", "stored"]

    func register(on group: RouterGroup<AppRequestContext>) {
        group.get("notifications", use: list)
        group.get("me", use: me)
    }

    @Sendable func list(_ request: Request, context: AppRequestContext) async throws -> Response {
        let principal = try context.require(.notificationsRead)
        let query = try QueryParameters(request, allowed: ["limit", "cursor", "status", "checkpoint_id"])
        let limit = try Pagination.limit(query["limit"], default: CoreRoutes.defaultPageSize, max: CoreRoutes.maxPageSize)
        let statuses = (query["status"] ?? "").split(separator: ",").map(String.init)
        for status in statuses where !Self.statuses.contains(status) {
            throw ApplianceError(.badRequest, code: "invalid_query", "unknown status '\(status)'; use \(Self.statuses.joined(separator: ", "))")
        }
        let page = try await appliance.runtime.notifications(
            tenantID: principal.tenantID, checkpointID: query["checkpoint_id"], statuses: statuses,
            before: try Pagination.decodeCursor(query["cursor"]), limit: limit)
        return JSONBody.response(RuntimeViews.page(page.items.map(RuntimeViews.notification), next: page.nextCursor))
    }

    @Sendable func me(_ request: Request, context: AppRequestContext) async throws -> Response {
        let principal = try context.require(.selfRead)
        let name = try await appliance.tenants.userName(tenantID: principal.tenantID, userID: principal.userID)
        return JSONBody.response([
            "tenant_id": .string(principal.tenantID), "user_id": .string(principal.userID),
            "user_name": name.map(JSONValue.string) ?? .null, "role": .string(principal.role.rawValue),
        ])
    }
}
