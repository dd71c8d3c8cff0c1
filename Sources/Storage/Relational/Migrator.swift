/// One schema change. Statements are produced per dialect so that one list serves every adapter.
public struct Migration: Sendable {
    public let version: Int
    public let name: String
    public let statements: @Sendable (SQLDialect) -> [String]

    public init(version: Int, name: String, statements: @escaping @Sendable (SQLDialect) -> [String]) {
        self.version = version
        self.name = name
        self.statements = statements
    }
}

/// Applies versioned migrations in order, each in its own transaction, and records them in
/// `schema_migrations`. Refuses a database whose recorded version is newer than the code knows.
public struct Migrator: Sendable {
    public let migrations: [Migration]

    public init(_ migrations: [Migration]) {
        self.migrations = migrations.sorted { $0.version < $1.version }
    }

    /// Applies the migrations the store has not seen; answers the versions it applied.
    @discardableResult
    public func migrate(_ store: any RelationalStore, now: @escaping @Sendable () -> String) async throws -> [Int] {
        let dialect = store.dialect
        try await store.write { db in
            try db.execute("""
                CREATE TABLE IF NOT EXISTS schema_migrations (
                  version \(dialect.integerType) NOT NULL PRIMARY KEY,
                  name \(dialect.shortTextType) NOT NULL,
                  applied_at \(dialect.shortTextType) NOT NULL)\(dialect.tableOptions)
                """)
        }
        let applied = try await appliedVersions(store)
        if let newest = applied.max(), let known = migrations.last?.version, newest > known {
            throw MigrationError.databaseIsNewer(databaseVersion: newest, codeVersion: known)
        }
        var done: [Int] = []
        for migration in migrations where !applied.contains(migration.version) {
            try await store.write { db in
                for statement in migration.statements(dialect) { try db.execute(statement) }
                try db.execute(
                    "INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)",
                    [.integer(Int64(migration.version)), .text(migration.name), .text(now())])
            }
            done.append(migration.version)
        }
        return done
    }

    /// The versions recorded in `schema_migrations`.
    public func appliedVersions(_ store: any RelationalStore) async throws -> Set<Int> {
        try await store.read { db in
            Set(try db.query("SELECT version FROM schema_migrations", []).map { Int(try $0.integer("version")) })
        }
    }
}

public enum MigrationError: Error, CustomStringConvertible {
    case databaseIsNewer(databaseVersion: Int, codeVersion: Int)

    public var description: String {
        switch self {
        case .databaseIsNewer(let db, let code):
            "the database schema is at version \(db) but this binary knows versions up to \(code): run a newer scaicore-appliance"
        }
    }
}
