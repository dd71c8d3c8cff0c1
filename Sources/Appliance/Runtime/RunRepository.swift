import CoreEngine
import Storage

/// SQL for `mod_scaicore_runs` and `mod_scaicore_run_journal`. Reads name the tenant; the
/// dispatcher's own updates go by run id (it only holds ids it read under a tenant).
enum RunRepository {
    static let insertSQL = """
        INSERT INTO mod_scaicore_runs (id, tenant_id, core_id, flow, event_id, trigger_info, input, status, entity_type,
          entity_key, started_by, resume_pending, created_at, updated_at, journal_keys)
        VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 0, ?, ?, ?)
        """

    /// The arguments of ``insertSQL`` (JSON encoded here, so callers can do it outside a transaction).
    static func insertArguments(_ run: RunRecord) -> [SQLValue] {
        [.text(run.id), .text(run.tenantID), .text(run.coreID), .text(run.flow), .optional(run.eventID), .json(run.trigger),
         .json(run.input), .text(run.status.rawValue), .optional(run.entityType), .optional(run.entityKey),
         .optional(run.startedBy), .text(run.createdAt), .text(run.updatedAt), .integer(Int64(run.journalKeys.rawValue))]
    }

    static func find(_ db: any SQLConnection, tenantID: String, id: String) throws -> RunRecord? {
        try db.queryOne("SELECT * FROM mod_scaicore_runs WHERE tenant_id = ? AND id = ?", [.text(tenantID), .text(id)]).map(run)
    }

    /// Runs of a Core, newest first, paged by id.
    static func list(_ db: any SQLConnection, tenantID: String, coreID: String, statuses: [RunStatus], before cursor: String?, limit: Int) throws -> [RunRecord] {
        var sql = "SELECT * FROM mod_scaicore_runs WHERE tenant_id = ? AND core_id = ?"
        var arguments: [SQLValue] = [.text(tenantID), .text(coreID)]
        if !statuses.isEmpty {
            sql += " AND status IN (\(SQLText.placeholders(statuses.count)))"
            arguments += statuses.map { .text($0.rawValue) }
        }
        if let cursor { sql += " AND id < ?"; arguments.append(.text(cursor)) }
        sql += " ORDER BY id DESC LIMIT ?"
        arguments.append(.integer(Int64(limit)))
        return try db.query(sql, arguments).map(run)
    }

    /// Every run that may still act, oldest first (recovery at start).
    static func unfinished(_ db: any SQLConnection) throws -> [RunRecord] {
        try db.query("SELECT * FROM mod_scaicore_runs WHERE status IN ('queued', 'running', 'suspended', 'sleeping') ORDER BY id", []).map(run)
    }

    /// Sleeping runs whose time has come.
    static func due(_ db: any SQLConnection, at now: String, limit: Int) throws -> [RunRecord] {
        try db.query(
            "SELECT * FROM mod_scaicore_runs WHERE status = 'sleeping' AND wake_at <= ? ORDER BY wake_at LIMIT ?",
            [.text(now), .integer(Int64(limit))]).map(run)
    }

    static func state(_ db: any SQLConnection, id: String) throws -> [UInt8]? {
        guard case .blob(let bytes) = try db.queryOne("SELECT state FROM mod_scaicore_runs WHERE id = ?", [.text(id)])?["state"] else { return nil }
        return bytes
    }

    /// Ends a run that is still live; answers false when it had already ended (cancelled meanwhile).
    @discardableResult
    static func finish(_ db: any SQLConnection, id: String, status: RunStatus, output: JSONValue?, error: JSONValue?, at: String) throws -> Bool {
        try db.execute(
            """
            UPDATE mod_scaicore_runs SET status = ?, output = ?, error = ?, checkpoint_id = NULL, resume_pending = 0, wake_at = NULL,
              state = NULL, updated_at = ?, finished_at = ?
            WHERE id = ? AND status IN ('queued', 'running', 'suspended', 'sleeping')
            """,
            [.text(status.rawValue), .optionalJSON(output), .optionalJSON(error), .text(at), .text(at), .text(id)]) == 1
    }

    /// Marks the run suspended at a checkpoint (a resume then starts from the checkpoint's blob);
    /// false when it is no longer live (cancelled meanwhile).
    static func suspend(_ db: any SQLConnection, id: String, checkpointID: String, at: String) throws -> Bool {
        try db.execute(
            """
            UPDATE mod_scaicore_runs SET status = 'suspended', checkpoint_id = ?, state = NULL, resume_pending = 0, updated_at = ?
            WHERE id = ? AND status IN ('queued', 'running')
            """,
            [.text(checkpointID), .text(at), .text(id)]) == 1
    }

    /// Marks the run asleep with its state (a resume then starts from that state); false when it
    /// is no longer live (cancelled meanwhile).
    static func sleep(_ db: any SQLConnection, id: String, until wakeAt: String, state: [UInt8], at: String) throws -> Bool {
        try db.execute(
            """
            UPDATE mod_scaicore_runs SET status = 'sleeping', wake_at = ?, state = ?, checkpoint_id = NULL, resume_pending = 0, updated_at = ?
            WHERE id = ? AND status IN ('queued', 'running')
            """,
            [.text(wakeAt), .blob(state), .text(at), .text(id)]) == 1
    }

    /// A suspended or sleeping run is queued again to be resumed from its stored state.
    @discardableResult
    static func markResumable(_ db: any SQLConnection, id: String, from status: RunStatus, at: String) throws -> Bool {
        try db.execute(
            "UPDATE mod_scaicore_runs SET status = 'queued', resume_pending = 1, updated_at = ? WHERE id = ? AND status = ?",
            [.text(at), .text(id), .text(status.rawValue)]) == 1
    }

    // MARK: journal

    /// Every recorded result of a run by step key, and the last sequence number (0 without entries).
    static func journalResults(_ db: any SQLConnection, runID: String) throws -> (results: [String: JSONValue], lastSequence: Int64) {
        var results: [String: JSONValue] = [:]
        var last: Int64 = 0
        for row in try db.query("SELECT step_key, result, seq FROM mod_scaicore_run_journal WHERE run_id = ?", [.text(runID)]) {
            results[try row.text("step_key")] = try row.json("result")
            last = max(last, try row.integer("seq"))
        }
        return (results, last)
    }

    /// Records an effect's result; a key already recorded keeps its first result.
    static func record(
        _ db: any SQLConnection, tenantID: String, runID: String, key: String, result: JSONValue,
        startedAt: String, recordedAt: String, durationMS: Int64, sequence: Int64
    ) throws {
        try db.execute(
            """
            \(db.dialect.insertIgnoringDuplicates) INTO mod_scaicore_run_journal (tenant_id, run_id, seq, step_key, result, started_at, recorded_at, duration_ms)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?)
            """,
            [.text(tenantID), .text(runID), .integer(sequence), .text(key), .json(result), .text(startedAt), .text(recordedAt),
             .integer(durationMS)])
    }

    static func journal(_ db: any SQLConnection, tenantID: String, runID: String) throws -> [JSONValue] {
        try db.query(
            "SELECT * FROM mod_scaicore_run_journal WHERE tenant_id = ? AND run_id = ? ORDER BY seq, recorded_at",
            [.text(tenantID), .text(runID)]
        ).map { row in
            .object([
                "key": .string(try row.text("step_key")), "result": try row.json("result"),
                "started_at": .string(try row.text("started_at")), "recorded_at": .string(try row.text("recorded_at")),
                "duration_ms": .integer(try row.integer("duration_ms")),
            ])
        }
    }

    static func nextJournalSequence(_ db: any SQLConnection, runID: String) throws -> Int64 {
        (try db.queryOne("SELECT MAX(seq) AS last FROM mod_scaicore_run_journal WHERE run_id = ?", [.text(runID)])?.optionalInteger("last") ?? 0) + 1
    }

    static func run(_ row: SQLRow) throws -> RunRecord {
        RunRecord(
            id: try row.text("id"), tenantID: try row.text("tenant_id"), coreID: try row.text("core_id"), flow: try row.text("flow"),
            eventID: try row.optionalText("event_id"), trigger: try row.json("trigger_info"), input: try row.json("input"),
            status: RunStatus(rawValue: try row.text("status")) ?? .failed, entityType: try row.optionalText("entity_type"),
            entityKey: try row.optionalText("entity_key"), startedBy: try row.optionalText("started_by"),
            output: try row.optionalJSON("output"), error: try row.optionalJSON("error"), checkpointID: try row.optionalText("checkpoint_id"),
            resumePending: (try row.optionalInteger("resume_pending") ?? 0) != 0, wakeAt: try row.optionalText("wake_at"),
            createdAt: try row.text("created_at"), updatedAt: try row.text("updated_at"), finishedAt: try row.optionalText("finished_at"),
            journalKeys: try journalKeys(row))
    }

    /// The run's key scheme; a number this version does not know is a row it cannot run.
    private static func journalKeys(_ row: SQLRow) throws -> JournalKeyScheme {
        let stored = try row.integer("journal_keys")
        guard let scheme = UInt8(exactly: stored).flatMap(JournalKeyScheme.init(rawValue:)) else {
            throw StorageError.decoding(column: "journal_keys", expected: "a journal key scheme (1 or 2)")
        }
        return scheme
    }
}
