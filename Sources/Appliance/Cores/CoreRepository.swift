import CoreEngine
import Storage

/// SQL for `mod_scaicore_cores` and `mod_scaicore_core_versions`. Every statement names the
/// tenant: a row of another tenant is indistinguishable from a missing row.
enum CoreRepository {
    static let listColumns = """
        id, tenant_id, slug, name, ir_version, ir_revision, runtime_config, identity_mode, plugins,
        avatar_url, status, status_reason, created_at, updated_at, version
        """

    static func find(_ db: any SQLConnection, tenantID: String, id: String) throws -> Core? {
        try db.queryOne("SELECT * FROM mod_scaicore_cores WHERE tenant_id = ? AND id = ?", [.text(tenantID), .text(id)])
            .map { try core($0) }
    }

    static func list(_ db: any SQLConnection, tenantID: String, statuses: [CoreStatus], after cursor: String?, limit: Int) throws -> [Core] {
        var sql = "SELECT \(listColumns) FROM mod_scaicore_cores WHERE tenant_id = ?"
        var arguments: [SQLValue] = [.text(tenantID)]
        if !statuses.isEmpty {
            sql += " AND status IN (\(SQLText.placeholders(statuses.count)))"
            arguments += statuses.map { .text($0.rawValue) }
        }
        if let cursor { sql += " AND id > ?"; arguments.append(.text(cursor)) }
        sql += " ORDER BY id LIMIT ?"
        arguments.append(.integer(Int64(limit)))
        return try db.query(sql, arguments).map { try core($0) }
    }

    static func insert(_ db: any SQLConnection, _ core: Core) throws {
        try db.execute(
            """
            INSERT INTO mod_scaicore_cores (id, tenant_id, slug, name, ir_source, ir_version, ir_revision, runtime_config,
              identity_mode, plugins, avatar_url, status, status_reason, created_at, updated_at, version)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
            """,
            [.text(core.id), .text(core.tenantID), .text(core.slug), .text(core.name), .text(core.ir.encodedText()),
             .optional(core.irVersion), .integer(core.irRevision), .text(core.runtimeConfig.encodedText()),
             .text(core.identityMode.rawValue), .text(pluginsText(core.plugins)), .optional(core.avatarURL),
             .text(core.status.rawValue), .optional(core.statusReason), .text(core.createdAt), .text(core.updatedAt),
             .integer(core.version)])
    }

    /// Writes `core` over the row whose version is `core.version - 1`; answers false when the row
    /// has moved on (a lost race) or is gone.
    static func update(_ db: any SQLConnection, _ core: Core) throws -> Bool {
        try db.execute(
            """
            UPDATE mod_scaicore_cores SET slug = ?, name = ?, ir_source = ?, ir_version = ?, ir_revision = ?,
              runtime_config = ?, identity_mode = ?, plugins = ?, avatar_url = ?, status = ?, status_reason = ?,
              updated_at = ?, version = ?
            WHERE tenant_id = ? AND id = ? AND version = ?
            """,
            [.text(core.slug), .text(core.name), .text(core.ir.encodedText()), .optional(core.irVersion),
             .integer(core.irRevision), .text(core.runtimeConfig.encodedText()), .text(core.identityMode.rawValue),
             .text(pluginsText(core.plugins)), .optional(core.avatarURL), .text(core.status.rawValue),
             .optional(core.statusReason), .text(core.updatedAt), .integer(core.version),
             .text(core.tenantID), .text(core.id), .integer(core.version - 1)]) == 1
    }

    static func delete(_ db: any SQLConnection, tenantID: String, id: String) throws -> Bool {
        try db.execute("DELETE FROM mod_scaicore_core_versions WHERE tenant_id = ? AND core_id = ?", [.text(tenantID), .text(id)])
        return try db.execute("DELETE FROM mod_scaicore_cores WHERE tenant_id = ? AND id = ?", [.text(tenantID), .text(id)]) == 1
    }

    /// Keeps the Core's current IR as revision `core.irRevision`, copied from its row (the IR is
    /// not encoded again).
    static func recordRevision(_ db: any SQLConnection, _ core: Core, by actor: String) throws {
        try db.execute(
            """
            INSERT INTO mod_scaicore_core_versions (id, tenant_id, core_id, revision, ir_source, ir_version, created_by, created_at)
            SELECT ?, tenant_id, id, ir_revision, ir_source, ir_version, ?, updated_at
            FROM mod_scaicore_cores WHERE tenant_id = ? AND id = ?
            """,
            [.text(Identifier.make("corever")), .text(actor), .text(core.tenantID), .text(core.id)])
    }

    /// Writes only the status fields of `core` over the row whose version is `core.version - 1`
    /// (a lifecycle transition leaves the IR and settings alone); false on a lost race.
    static func updateStatus(_ db: any SQLConnection, _ core: Core) throws -> Bool {
        try db.execute(
            """
            UPDATE mod_scaicore_cores SET status = ?, status_reason = ?, updated_at = ?, version = ?
            WHERE tenant_id = ? AND id = ? AND version = ?
            """,
            [.text(core.status.rawValue), .optional(core.statusReason), .text(core.updatedAt), .integer(core.version),
             .text(core.tenantID), .text(core.id), .integer(core.version - 1)]) == 1
    }

    /// Cores of every tenant in the given statuses (boot recovery, metrics). Not tenant-scoped:
    /// only the system calls it, never a request.
    static func allInStatuses(_ db: any SQLConnection, _ statuses: [CoreStatus]) throws -> [Core] {
        let marks = SQLText.placeholders(statuses.count)
        return try db.query("SELECT * FROM mod_scaicore_cores WHERE status IN (\(marks)) ORDER BY id", statuses.map { .text($0.rawValue) })
            .map { try core($0) }
    }

    static func countByStatus(_ db: any SQLConnection) throws -> [CoreStatus: Int] {
        var counts: [CoreStatus: Int] = [:]
        for row in try db.query("SELECT status, COUNT(*) AS n FROM mod_scaicore_cores GROUP BY status", []) {
            if let status = CoreStatus(rawValue: try row.text("status")) { counts[status] = Int(try row.integer("n")) }
        }
        return counts
    }

    private static func pluginsText(_ plugins: [String]) -> String {
        JSONValue.array(plugins.map(JSONValue.string)).encodedText()
    }

    static func core(_ row: SQLRow) throws -> Core {
        Core(
            id: try row.text("id"), tenantID: try row.text("tenant_id"), slug: try row.text("slug"), name: try row.text("name"),
            ir: try row.optionalJSON("ir_source") ?? .null, irVersion: try row.optionalText("ir_version"), irRevision: try row.integer("ir_revision"),
            runtimeConfig: try row.json("runtime_config"),
            identityMode: IdentityMode(rawValue: try row.text("identity_mode")) ?? .service,
            plugins: (try row.json("plugins")).arrayValue?.compactMap(\.stringValue) ?? [],
            avatarURL: try row.optionalText("avatar_url"),
            status: CoreStatus(rawValue: try row.text("status")) ?? .error, statusReason: try row.optionalText("status_reason"),
            createdAt: try row.text("created_at"), updatedAt: try row.text("updated_at"), version: try row.integer("version"))
    }
}
