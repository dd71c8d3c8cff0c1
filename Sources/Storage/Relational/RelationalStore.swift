/// A connection inside a transaction. Calls are synchronous: a transaction runs start to end on
/// the adapter's own thread and never spans a suspension point.
///
/// Placeholders are `?` in every dialect.
public protocol SQLConnection {
    /// The dialect of the database behind this connection.
    var dialect: SQLDialect { get }
    /// Runs a statement that returns no rows; answers the number of rows it changed.
    @discardableResult
    func execute(_ sql: String, _ arguments: [SQLValue]) throws(StorageError) -> Int
    /// Runs a query and returns all its rows.
    func query(_ sql: String, _ arguments: [SQLValue]) throws(StorageError) -> [SQLRow]
}

extension SQLConnection {
    @discardableResult
    public func execute(_ sql: String) throws(StorageError) -> Int { try execute(sql, []) }
    /// The first row of a query, or nil.
    public func queryOne(_ sql: String, _ arguments: [SQLValue] = []) throws(StorageError) -> SQLRow? {
        try query(sql, arguments).first
    }
}

/// The SQL dialects the repositories are written for. Adapters supply what differs.
public enum SQLDialect: String, Sendable {
    case sqlite
    case mariadb

    /// Column type for identifiers and other short indexed strings.
    public var idType: String { self == .sqlite ? "TEXT" : "VARCHAR(64)" }
    /// Column type for names, slugs, and other indexed strings up to 255 characters.
    public var shortTextType: String { self == .sqlite ? "TEXT" : "VARCHAR(255)" }
    /// Column type for unbounded text (IR source, JSON documents).
    public var longTextType: String { self == .sqlite ? "TEXT" : "LONGTEXT" }
    /// Column type for 64-bit integers.
    public var integerType: String { self == .sqlite ? "INTEGER" : "BIGINT" }
    /// Column type for binary data.
    public var blobType: String { self == .sqlite ? "BLOB" : "LONGBLOB" }
    /// An INSERT that skips rows whose unique key already exists: `\(insertIgnoringDuplicates) INTO t ...`.
    public var insertIgnoringDuplicates: String { self == .sqlite ? "INSERT OR IGNORE" : "INSERT IGNORE" }
    /// What follows `CREATE TABLE name (...)`.
    public var tableOptions: String { self == .sqlite ? "" : " ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin" }
}

/// A relational database: every `mod_scaicore_*` and `appliance_*` table lives in one.
///
/// `read` bodies may run concurrently with each other and with a write; `write` bodies run one
/// at a time inside a transaction that is durably committed before `write` returns (a throwing
/// body rolls it back).
public protocol RelationalStore: Sendable {
    var dialect: SQLDialect { get }
    func read<T: Sendable>(_ body: @escaping @Sendable (any SQLConnection) throws -> T) async throws -> T
    @discardableResult
    func write<T: Sendable>(_ body: @escaping @Sendable (any SQLConnection) throws -> T) async throws -> T
    /// Answers when the store can serve a query; throws otherwise.
    func ping() async throws
    /// Finishes queued work and closes every connection. Later calls throw ``StorageError/closed``.
    func close() async
}
