import CoreEngine
import Storage

/// SQL for `mod_scaicore_events`.
enum EventRepository {
    static let insertSQL = """
        INSERT INTO mod_scaicore_events (id, tenant_id, core_id, event_name, data, source, source_run_id, sender, status, run_ids,
          idempotency_key, request_hash, created_at)
        VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
        """

    /// The arguments of ``insertSQL`` (JSON encoded here, so callers can do it outside a transaction).
    static func insertArguments(_ event: EventRecord, idempotencyKey: String?, requestHash: String?) -> [SQLValue] {
        [.text(event.id), .text(event.tenantID), .text(event.coreID), .text(event.name), .json(event.data), .text(event.source.rawValue),
         .optional(event.sourceRunID), .optional(event.sender), .text(event.status), .json(.array(event.runIDs.map(JSONValue.string))),
         .optional(idempotencyKey), .optional(requestHash), .text(event.createdAt)]
    }

    /// The event accepted earlier under `key` on this Core, with the hash of its request.
    static func find(_ db: any SQLConnection, tenantID: String, coreID: String, idempotencyKey key: String) throws -> (EventRecord, String?)? {
        guard let row = try db.queryOne(
            "SELECT * FROM mod_scaicore_events WHERE tenant_id = ? AND core_id = ? AND idempotency_key = ?",
            [.text(tenantID), .text(coreID), .text(key)]) else { return nil }
        return (try event(row), try row.optionalText("request_hash"))
    }

    /// Events of a Core, newest first, paged by id.
    static func list(_ db: any SQLConnection, tenantID: String, coreID: String, before cursor: String?, limit: Int) throws -> [EventRecord] {
        var sql = "SELECT * FROM mod_scaicore_events WHERE tenant_id = ? AND core_id = ?"
        var arguments: [SQLValue] = [.text(tenantID), .text(coreID)]
        if let cursor { sql += " AND id < ?"; arguments.append(.text(cursor)) }
        sql += " ORDER BY id DESC LIMIT ?"
        arguments.append(.integer(Int64(limit)))
        return try db.query(sql, arguments).map(event)
    }

    static func event(_ row: SQLRow) throws -> EventRecord {
        EventRecord(
            id: try row.text("id"), tenantID: try row.text("tenant_id"), coreID: try row.text("core_id"), name: try row.text("event_name"),
            data: try row.json("data"), source: EventRecord.Source(rawValue: try row.text("source")) ?? .api,
            sourceRunID: try row.optionalText("source_run_id"), sender: try row.optionalText("sender"), status: try row.text("status"),
            runIDs: (try row.json("run_ids").arrayValue ?? []).compactMap(\.stringValue), createdAt: try row.text("created_at"))
    }
}
