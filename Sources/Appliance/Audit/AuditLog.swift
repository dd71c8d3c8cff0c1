import CoreEngine
import Foundation
import Storage

/// One audit entry, as recorded.
public struct AuditEntry: Sendable, Equatable {
    public let id: String
    public let tenantID: String
    public let actor: String
    public let action: String
    public let targetType: String
    public let targetID: String
    public let details: JSONValue
    public let requestID: String?
    public let createdAt: String
}

/// Who did something and why: the actor, the request, the reason.
public struct ActionContext: Sendable {
    public let principal: Principal?
    public let requestID: String?
    public let reason: String?

    public init(principal: Principal?, requestID: String? = nil, reason: String? = nil) {
        self.principal = principal
        self.requestID = requestID
        self.reason = reason
    }

    /// The system itself (recovery at boot, crons).
    public static func system(reason: String) -> ActionContext { ActionContext(principal: nil, reason: reason) }

    var actor: String { principal?.userID ?? "system" }
}

/// The audit log, `mod_scaicore_audit_log`. Entries are written inside the same transaction as
/// the change they describe, so a change is never without its entry.
public enum AuditLog {
    public static func record(
        _ db: any SQLConnection, tenantID: String, context: ActionContext, action: String,
        targetType: String, targetID: String, details: [String: JSONValue], at: String
    ) throws {
        var details = details
        if let reason = context.reason { details["reason"] = .string(reason) }
        try db.execute(
            """
            INSERT INTO mod_scaicore_audit_log (id, tenant_id, actor, action, target_type, target_id, details, request_id, created_at)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
            """,
            [.text(Identifier.make("audit")), .text(tenantID), .text(context.actor), .text(action), .text(targetType),
             .text(targetID), .text(JSONValue.object(details).encodedText()), .optional(context.requestID), .text(at)])
    }

    /// Entries of a tenant, oldest first, optionally for one target; paged by id.
    public static func list(
        _ store: any RelationalStore, tenantID: String, targetID: String?, after cursor: String?, limit: Int
    ) async throws -> [AuditEntry] {
        var sql = "SELECT * FROM mod_scaicore_audit_log WHERE tenant_id = ?"
        var arguments: [SQLValue] = [.text(tenantID)]
        if let targetID { sql += " AND target_id = ?"; arguments.append(.text(targetID)) }
        if let cursor { sql += " AND id > ?"; arguments.append(.text(cursor)) }
        sql += " ORDER BY id LIMIT ?"
        arguments.append(.integer(Int64(limit)))
        let query = sql
        let bound = arguments
        return try await store.read { db in
            try db.query(query, bound).map { row in
                AuditEntry(
                    id: try row.text("id"), tenantID: try row.text("tenant_id"), actor: try row.text("actor"),
                    action: try row.text("action"), targetType: try row.text("target_type"), targetID: try row.text("target_id"),
                    details: try row.json("details"),
                    requestID: try row.optionalText("request_id"), createdAt: try row.text("created_at"))
            }
        }
    }
}
