import Appliance
import CoreEngine
import Hummingbird

/// `/v1/modules/scaicore/audit`: the tenant's audit log, oldest first.
struct AuditRoutes {
    let appliance: Appliance

    func register(on group: RouterGroup<AppRequestContext>) {
        group.get("audit", use: list)
    }

    @Sendable func list(_ request: Request, context: AppRequestContext) async throws -> Response {
        let principal = try context.require(.auditRead)
        let query = try QueryParameters(request, allowed: ["limit", "cursor", "target_id"])
        let limit = try Pagination.limit(query["limit"], default: CoreRoutes.defaultPageSize, max: CoreRoutes.maxPageSize)
        let entries = try await AuditLog.list(
            appliance.store, tenantID: principal.tenantID, targetID: query["target_id"],
            after: try Pagination.decodeCursor(query["cursor"]), limit: limit + 1)
        let page = entries.prefix(limit)
        return JSONBody.response([
            "items": .array(page.map { entry in
                [
                    "id": .string(entry.id), "actor": .string(entry.actor), "action": .string(entry.action),
                    "target_type": .string(entry.targetType), "target_id": .string(entry.targetID), "details": entry.details,
                    "request_id": entry.requestID.map(JSONValue.string) ?? .null, "created_at": .string(entry.createdAt),
                ]
            }),
            "next_cursor": entries.count > limit ? page.last.map { .string(Pagination.encodeCursor($0.id)) } ?? .null : .null,
        ])
    }
}

/// Query parameters with a closed set of names: an unknown name is a 400, not silently ignored.
struct QueryParameters {
    private let values: [String: String]

    init(_ request: Request, allowed: Set<String>) throws {
        var values: [String: String] = [:]
        for (key, value) in request.uri.queryParameters {
            let name = String(key)
            guard allowed.contains(name) else {
                throw ApplianceError(.badRequest, code: "invalid_query",
                                     "unknown query parameter '\(name)'; use \(allowed.sorted().joined(separator: ", "))")
            }
            values[name] = String(value)
        }
        self.values = values
    }

    subscript(_ name: String) -> String? { values[name] }
}
