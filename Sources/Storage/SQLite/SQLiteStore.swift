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

/// The embedded ``RelationalStore``: one SQLite file in WAL mode, one writer connection and a
/// few reader connections, each confined to its own serial queue so that blocking SQLite calls
/// never run on Swift's cooperative threads.
public final class SQLiteStore: RelationalStore {
    public let dialect = SQLDialect.sqlite
    public let path: String
    private let writer: ConfinedConnection
    private let readers: [ConfinedConnection]
    private let nextReader = Atomic<Int>(0)

    /// Opens (creating if needed) the database at `path`.
    public init(path: String, options: SQLiteOptions = .init()) throws(StorageError) {
        self.path = path
        writer = ConfinedConnection(label: "sqlite.writer", connection: try SQLiteConnection(path: path, options: options, queryOnly: false))
        var readers: [ConfinedConnection] = []
        for index in 0..<options.readerCount {
            let connection = try SQLiteConnection(path: path, options: options, queryOnly: true)
            readers.append(ConfinedConnection(label: "sqlite.reader.\(index)", connection: connection))
        }
        self.readers = readers
    }

    public func read<T: Sendable>(_ body: @escaping @Sendable (any SQLConnection) throws -> T) async throws -> T {
        let index = nextReader.wrappingAdd(1, ordering: .relaxed).oldValue
        let reader = readers[Int(UInt(bitPattern: index) % UInt(readers.count))]
        return try await reader.run { db in try Self.transaction(db, begin: "BEGIN", body) }
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
        for reader in readers { await reader.close() }
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
