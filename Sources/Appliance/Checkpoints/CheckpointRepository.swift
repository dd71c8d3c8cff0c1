import CoreEngine
import Storage

/// SQL for `mod_scaicore_checkpoints`. Reads by users name the tenant; every change is
/// conditional on the version read, so two writers never both act on one checkpoint.
enum CheckpointRepository {
    static func insert(_ db: any SQLConnection, _ c: CheckpointRecord) throws {
        try db.execute(
            """
            INSERT INTO mod_scaicore_checkpoints (id, tenant_id, core_id, run_id, step, journal_key, kind, title, prompt, schema_json,
              assignee, escalate_to, escalated, reminded, on_timeout, timeout_seconds, required_approvals, approvals, run_started_by,
              status, state_s3_key, expires_at, resolved_by, resolution, created_at, updated_at, resolved_at, version)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
            """,
            [.text(c.id), .text(c.tenantID), .text(c.coreID), .text(c.runID), .text(c.step), .text(c.journalKey), .text(c.kind.rawValue),
             .text(c.title), .optional(c.prompt), .optionalJSON(c.schema), .text(c.assignee), .optional(c.escalateTo),
             .integer(c.escalated ? 1 : 0), .integer(c.reminded ? 1 : 0), .text(c.onTimeout.rawValue), .optional(c.timeoutSeconds.map(Int64.init)),
             .integer(Int64(c.requiredApprovals)), .json(.array(c.approvals)), .optional(c.runStartedBy), .text(c.status.rawValue),
             .text(c.stateKey), .optional(c.expiresAt), .optionalJSON(c.resolvedBy.map { .array($0.map(JSONValue.string)) }),
             .optionalJSON(c.resolution), .text(c.createdAt), .text(c.updatedAt), .optional(c.resolvedAt), .integer(c.version)])
    }

    /// Writes `c` over the row still at version `c.version - 1`; false when it moved on.
    static func update(_ db: any SQLConnection, _ c: CheckpointRecord) throws -> Bool {
        try db.execute(
            """
            UPDATE mod_scaicore_checkpoints SET assignee = ?, escalate_to = ?, escalated = ?, reminded = ?, approvals = ?, status = ?,
              expires_at = ?, resolved_by = ?, resolution = ?, updated_at = ?, resolved_at = ?, version = ?
            WHERE id = ? AND version = ?
            """,
            [.text(c.assignee), .optional(c.escalateTo), .integer(c.escalated ? 1 : 0), .integer(c.reminded ? 1 : 0),
             .json(.array(c.approvals)), .text(c.status.rawValue), .optional(c.expiresAt),
             .optionalJSON(c.resolvedBy.map { .array($0.map(JSONValue.string)) }), .optionalJSON(c.resolution), .text(c.updatedAt),
             .optional(c.resolvedAt), .integer(c.version), .text(c.id), .integer(c.version - 1)]) == 1
    }

    static func find(_ db: any SQLConnection, tenantID: String, id: String) throws -> CheckpointRecord? {
        try db.queryOne("SELECT * FROM mod_scaicore_checkpoints WHERE tenant_id = ? AND id = ?", [.text(tenantID), .text(id)]).map(checkpoint)
    }

    /// The checkpoint by id alone: for the runtime, which derived the id itself.
    static func find(_ db: any SQLConnection, id: String) throws -> CheckpointRecord? {
        try db.queryOne("SELECT * FROM mod_scaicore_checkpoints WHERE id = ?", [.text(id)]).map(checkpoint)
    }

    /// Filters of the checkpoint list.
    struct Filter {
        var statuses: [CheckpointStatus] = []
        /// Any of these assignees (`user:…`, `role:…`); empty for all.
        var assignees: [String] = []
        var coreID: String?
    }

    /// The tenant's checkpoints, newest first, paged by (created_at, id): checkpoint ids are
    /// derived from their run and step, so they do not sort by time. The cursor is
    /// ``cursor(_:)`` of the last item.
    static func list(_ db: any SQLConnection, tenantID: String, filter: Filter, before cursor: String?, limit: Int) throws -> [CheckpointRecord] {
        var sql = "SELECT * FROM mod_scaicore_checkpoints WHERE tenant_id = ?"
        var arguments: [SQLValue] = [.text(tenantID)]
        if !filter.statuses.isEmpty {
            sql += " AND status IN (\(SQLText.placeholders(filter.statuses.count)))"
            arguments += filter.statuses.map { .text($0.rawValue) }
        }
        if !filter.assignees.isEmpty {
            sql += " AND assignee IN (\(SQLText.placeholders(filter.assignees.count)))"
            arguments += filter.assignees.map(SQLValue.text)
        }
        if let core = filter.coreID { sql += " AND core_id = ?"; arguments.append(.text(core)) }
        if let cursor {
            let parts = cursor.split(separator: "|", maxSplits: 1).map(String.init)
            let (createdAt, id) = parts.count == 2 ? (parts[0], parts[1]) : ("", cursor)
            sql += " AND (created_at < ? OR (created_at = ? AND id < ?))"
            arguments += [.text(createdAt), .text(createdAt), .text(id)]
        }
        sql += " ORDER BY created_at DESC, id DESC LIMIT ?"
        arguments.append(.integer(Int64(limit)))
        return try db.query(sql, arguments).map(checkpoint)
    }

    /// The list cursor that continues after `checkpoint`.
    static func cursor(_ checkpoint: CheckpointRecord) -> String { checkpoint.createdAt + "|" + checkpoint.id }

    /// Open checkpoints whose deadline has passed (every tenant: the sweep).
    static func overdue(_ db: any SQLConnection, at now: String, limit: Int) throws -> [CheckpointRecord] {
        try db.query(
            "SELECT * FROM mod_scaicore_checkpoints WHERE status = 'open' AND expires_at IS NOT NULL AND expires_at <= ? ORDER BY expires_at LIMIT ?",
            [.text(now), .integer(Int64(limit))]).map(checkpoint)
    }

    /// Open, not yet reminded checkpoints whose deadline falls before `horizon`.
    static func needingReminder(_ db: any SQLConnection, at now: String, horizon: String, limit: Int) throws -> [CheckpointRecord] {
        try db.query(
            """
            SELECT * FROM mod_scaicore_checkpoints WHERE status = 'open' AND reminded = 0 AND expires_at IS NOT NULL
              AND expires_at > ? AND expires_at <= ? ORDER BY expires_at LIMIT ?
            """,
            [.text(now), .text(horizon), .integer(Int64(limit))]).map(checkpoint)
    }

    static func checkpoint(_ row: SQLRow) throws -> CheckpointRecord {
        CheckpointRecord(
            id: try row.text("id"), tenantID: try row.text("tenant_id"), coreID: try row.text("core_id"), runID: try row.text("run_id"),
            step: try row.text("step"), journalKey: try row.text("journal_key"),
            kind: CheckpointKind(rawValue: try row.text("kind")) ?? .approval, title: try row.text("title"),
            prompt: try row.optionalText("prompt"), schema: try row.optionalJSON("schema_json"), assignee: try row.text("assignee"),
            escalateTo: try row.optionalText("escalate_to"), escalated: try row.integer("escalated") != 0,
            reminded: try row.integer("reminded") != 0, onTimeout: TimeoutOutcome(rawValue: try row.text("on_timeout")) ?? .fail,
            timeoutSeconds: try row.optionalInteger("timeout_seconds").map { Int($0) }, requiredApprovals: Int(try row.integer("required_approvals")),
            approvals: try row.json("approvals").arrayValue ?? [], runStartedBy: try row.optionalText("run_started_by"),
            status: CheckpointStatus(rawValue: try row.text("status")) ?? .open, stateKey: try row.text("state_s3_key"),
            expiresAt: try row.optionalText("expires_at"),
            resolvedBy: try row.optionalJSON("resolved_by")?.arrayValue?.compactMap(\.stringValue), resolution: try row.optionalJSON("resolution"),
            createdAt: try row.text("created_at"), updatedAt: try row.text("updated_at"), resolvedAt: try row.optionalText("resolved_at"),
            version: try row.integer("version"))
    }
}
