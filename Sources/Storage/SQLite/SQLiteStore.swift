import CSQLite
import Dispatch
import Synchronization

/// Settings of the embedded SQLite adapter.
public struct SQLiteOptions: Sendable {
    /// `synchronous` pragma: `full` syncs the WAL on every commit (a 2xx is on disk);
    /// `normal` may lose the last commits on power loss, never on a process crash.
    public enum Synchronous: String, Sendable, CaseIterable { case full = "FULL", normal = "NORMAL" }

    public var busyTimeoutMilliseconds: Int
    public var synchronous: Synchronous
    /// Read connections that serve `read` concurrently.
    public var readerCount: Int

    public init(busyTimeoutMilliseconds: Int = 5000, synchronous: Synchronous = .full, readerCount: Int = 4) {
        self.busyTimeoutMilliseconds = busyTimeoutMilliseconds
        self.synchronous = synchronous
        self.readerCount = max(1, readerCount)
    }
}

/// The embedded ``RelationalStore``: one SQLite file in WAL mode, one writer and a pool of
/// readers.
///
/// Writes run on the writer's own serial queue, so a commit's fsync never blocks Swift's
/// cooperative threads. Reads in WAL mode never wait for the writer and take microseconds, so
/// they run inline on the calling task with a reader checked out of the pool: no thread hop.
/// The pool grows when more tasks read at once than it holds connections.
public final class SQLiteStore: RelationalStore {
    public let dialect = SQLDialect.sqlite
    public let path: String
    private let options: SQLiteOptions
    private let writer: ConfinedConnection
    private let readers = Mutex<ReaderPool>(ReaderPool())

    private struct ReaderPool: ~Copyable {
        var idle: [SQLiteConnection] = []
        var closed = false
    }

    /// Opens (creating if needed) the database at `path`.
    public init(path: String, options: SQLiteOptions = .init()) throws(StorageError) {
        self.path = path
        self.options = options
        writer = ConfinedConnection(label: "sqlite.writer", connection: try SQLiteConnection(path: path, options: options, queryOnly: false))
        var idle: [SQLiteConnection] = []
        for _ in 0..<options.readerCount { idle.append(try SQLiteConnection(path: path, options: options, queryOnly: true)) }
        readers.withLock { $0.idle = idle }
    }

    public func read<T: Sendable>(_ body: @escaping @Sendable (any SQLConnection) throws -> T) async throws -> T {
        let connection = try checkOutReader()
        defer { checkIn(connection) }
        return try Self.transaction(connection, begin: "BEGIN", body)
    }

    @discardableResult
    public func write<T: Sendable>(_ body: @escaping @Sendable (any SQLConnection) throws -> T) async throws -> T {
        try await writer.run { db in try Self.transaction(db, begin: "BEGIN IMMEDIATE", body) }
    }

    public func ping() async throws {
        _ = try await read { db in try db.query("SELECT 1", []) }
    }

    public func close() async {
        await writer.close()
        let idle = readers.withLock { pool in
            pool.closed = true
            defer { pool.idle.removeAll() }
            return pool.idle
        }
        for connection in idle { connection.close() }
    }

    private func checkOutReader() throws -> SQLiteConnection {
        let (connection, closed) = readers.withLock { pool in (pool.idle.popLast(), pool.closed) }
        if closed { throw StorageError.closed }
        return try connection ?? SQLiteConnection(path: path, options: options, queryOnly: true)
    }

    private func checkIn(_ connection: SQLiteConnection) {
        let keep = readers.withLock { pool in
            guard !pool.closed else { return false }
            pool.idle.append(connection)
            return true
        }
        if !keep { connection.close() }
    }

    private static func transaction<T>(_ db: SQLiteConnection, begin: String, _ body: (any SQLConnection) throws -> T) throws -> T {
        try db.execute(begin, [])
        do {
            let result = try body(db)
            try db.execute("COMMIT", [])
            return result
        } catch {
            _ = try? db.execute("ROLLBACK", [])
            throw error
        }
    }
}

/// A connection and the serial queue it is confined to.
private final class ConfinedConnection: @unchecked Sendable {
    // Both fields are only touched on `queue`.
    private let queue: DispatchQueue
    private var connection: SQLiteConnection?

    init(label: String, connection: SQLiteConnection) {
        self.queue = DispatchQueue(label: label)
        self.connection = connection
    }

    func run<T: Sendable>(_ body: @escaping @Sendable (SQLiteConnection) throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            queue.async {
                guard let connection = self.connection else { return continuation.resume(throwing: StorageError.closed) }
                continuation.resume(with: Result { try body(connection) })
            }
        }
    }

    func close() async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            queue.async {
                self.connection?.close()
                self.connection = nil
                continuation.resume()
            }
        }
    }
}
