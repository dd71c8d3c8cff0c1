import CoreEngine
import Foundation
import Storage

/// Why a notification is sent.
public enum NotificationKind: String, Sendable, CaseIterable {
    case opened = "checkpoint.opened"
    case escalated = "checkpoint.escalated"
    case reassigned = "checkpoint.reassigned"
    case reminder = "checkpoint.reminder"
}

/// A notification, as stored in `mod_scaicore_notifications`.
public struct NotificationRecord: Sendable, Equatable {
    public let id: String
    public let tenantID: String
    public let coreID: String
    public let checkpointID: String?
    public let kind: String
    public let recipient: String
    public let to: [String]
    public let subject: String
    public let body: String
    /// `pending` (to be mailed), `sent`, `failed` (gave up), `stored` (no relay or no address).
    public let status: String
    public let attempts: Int
    public let lastError: String?
    public let createdAt: String
    public let sentAt: String?
}

/// The notification outbox: rows are written in the transaction of the change they announce; the
/// ``Notifier`` mails the pending ones later, so a slow or absent relay never holds up a run.
enum NotificationOutbox {
    /// Writes the notification of `kind` for the checkpoint's current assignee.
    static func enqueue(
        _ db: any SQLConnection, _ checkpoint: CheckpointRecord, kind: NotificationKind, settings: NotificationSettings, at: Date
    ) throws {
        let stamp = Timestamp.string(at)
        let to = try recipients(db, tenantID: checkpoint.tenantID, assignee: checkpoint.assignee, at: stamp)
        let coreName = try db.queryOne("SELECT name FROM mod_scaicore_cores WHERE tenant_id = ? AND id = ?",
                                       [.text(checkpoint.tenantID), .text(checkpoint.coreID)])?.optionalText("name") ?? checkpoint.coreID
        let (status, problem): (String, String?) =
            !settings.relayConfigured ? ("stored", nil)
            : to.isEmpty ? ("stored", "no e-mail address is known for \(checkpoint.assignee)") : ("pending", nil)
        try db.execute(
            """
            INSERT INTO mod_scaicore_notifications (id, tenant_id, core_id, checkpoint_id, kind, recipient, to_addresses, subject, body,
              status, attempts, next_attempt_at, last_error, created_at)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 0, ?, ?, ?)
            """,
            [.text(Identifier.make("ntf", at: at)), .text(checkpoint.tenantID), .text(checkpoint.coreID), .text(checkpoint.id),
             .text(kind.rawValue), .text(checkpoint.assignee), .json(.array(to.map(JSONValue.string))),
             .text(subject(kind, checkpoint)), .text(body(kind, checkpoint, coreName: coreName, settings: settings)),
             .text(status), status == "pending" ? .text(stamp) : .null, .optional(problem), .text(stamp)])
    }

    /// The e-mail addresses behind an assignee: the user's, or those of every user of the tenant
    /// holding a live token with the role.
    static func recipients(_ db: any SQLConnection, tenantID: String, assignee: String, at: String) throws -> [String] {
        guard let spec = Assignee(assignee) else { return [] }
        switch spec {
        case .user(let id):
            let row = try db.queryOne("SELECT email FROM appliance_users WHERE tenant_id = ? AND id = ?", [.text(tenantID), .text(id)])
            return try row?.optionalText("email").map { [$0] } ?? []
        case .role(let role):
            return try db.query(
                """
                SELECT DISTINCT u.email AS email FROM appliance_users u JOIN appliance_api_tokens t ON t.user_id = u.id
                WHERE t.tenant_id = ? AND t.role = ? AND t.revoked_at IS NULL AND (t.expires_at IS NULL OR t.expires_at > ?)
                  AND u.email IS NOT NULL ORDER BY u.email
                """,
                [.text(tenantID), .text(role), .text(at)]
            ).compactMap { try $0.optionalText("email") }
        }
    }

    static func subject(_ kind: NotificationKind, _ checkpoint: CheckpointRecord) -> String {
        let title = checkpoint.title.replacingOccurrences(of: "\r", with: " ").replacingOccurrences(of: "\n", with: " ")
        switch kind {
        case .opened: return "Checkpoint to decide: \(title)"
        case .escalated: return "Escalated checkpoint: \(title)"
        case .reassigned: return "Checkpoint assigned to you: \(title)"
        case .reminder: return "Reminder, due \(checkpoint.expiresAt ?? "soon"): \(title)"
        }
    }

    static func body(_ kind: NotificationKind, _ checkpoint: CheckpointRecord, coreName: String, settings: NotificationSettings) -> String {
        var lines = [checkpoint.title, ""]
        if let prompt = checkpoint.prompt, !prompt.isEmpty { lines += [prompt, ""] }
        switch kind {
        case .opened: lines.append("A run of \(coreName) waits for your decision.")
        case .escalated: lines.append("This checkpoint was not decided in time and is escalated to you.")
        case .reassigned: lines.append("This checkpoint was reassigned to you.")
        case .reminder: lines.append("This checkpoint is still open and its deadline is near.")
        }
        lines += [
            "",
            "Core: \(coreName)",
            "Kind: \(checkpoint.kind.rawValue)",
            "Assigned to: \(checkpoint.assignee)",
            "Deadline: \(checkpoint.expiresAt ?? "none")",
            "",
            "Open it: \(settings.checkpointURL(checkpoint.id))",
            "(sign in with your own token; this link carries none)",
        ]
        return lines.joined(separator: "\n")
    }

    // MARK: the sender's side

    static func due(_ db: any SQLConnection, at now: String, limit: Int) throws -> [NotificationRecord] {
        try db.query(
            "SELECT * FROM mod_scaicore_notifications WHERE status = 'pending' AND next_attempt_at <= ? ORDER BY next_attempt_at LIMIT ?",
            [.text(now), .integer(Int64(limit))]).map(notification)
    }

    static func markSent(_ db: any SQLConnection, id: String, at: String) throws {
        try db.execute(
            "UPDATE mod_scaicore_notifications SET status = 'sent', attempts = attempts + 1, sent_at = ?, next_attempt_at = NULL, last_error = NULL WHERE id = ? AND status = 'pending'",
            [.text(at), .text(id)])
    }

    /// Records a failed attempt: retried at `retryAt`, or `failed` for good when nil.
    static func markAttemptFailed(_ db: any SQLConnection, id: String, error: String, retryAt: String?) throws {
        try db.execute(
            "UPDATE mod_scaicore_notifications SET status = ?, attempts = attempts + 1, next_attempt_at = ?, last_error = ? WHERE id = ? AND status = 'pending'",
            [.text(retryAt == nil ? "failed" : "pending"), .optional(retryAt), .text(String(error.prefix(1000))), .text(id)])
    }

    static func list(
        _ db: any SQLConnection, tenantID: String, checkpointID: String?, statuses: [String], before cursor: String?, limit: Int
    ) throws -> [NotificationRecord] {
        var sql = "SELECT * FROM mod_scaicore_notifications WHERE tenant_id = ?"
        var arguments: [SQLValue] = [.text(tenantID)]
        if let checkpointID { sql += " AND checkpoint_id = ?"; arguments.append(.text(checkpointID)) }
        if !statuses.isEmpty {
            sql += " AND status IN (\(SQLText.placeholders(statuses.count)))"
            arguments += statuses.map(SQLValue.text)
        }
        if let cursor { sql += " AND id < ?"; arguments.append(.text(cursor)) }
        sql += " ORDER BY id DESC LIMIT ?"
        arguments.append(.integer(Int64(limit)))
        return try db.query(sql, arguments).map(notification)
    }

    static func notification(_ row: SQLRow) throws -> NotificationRecord {
        NotificationRecord(
            id: try row.text("id"), tenantID: try row.text("tenant_id"), coreID: try row.text("core_id"),
            checkpointID: try row.optionalText("checkpoint_id"), kind: try row.text("kind"), recipient: try row.text("recipient"),
            to: (try row.json("to_addresses").arrayValue ?? []).compactMap(\.stringValue), subject: try row.text("subject"),
            body: try row.text("body"), status: try row.text("status"), attempts: Int(try row.integer("attempts")),
            lastError: try row.optionalText("last_error"), createdAt: try row.text("created_at"), sentAt: try row.optionalText("sent_at"))
    }
}
