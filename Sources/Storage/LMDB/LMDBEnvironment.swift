import CLMDB
import Foundation
import Logging
import Synchronization

/// An LMDB environment: one memory-mapped file holding named databases.
///
/// Reads run inline on the caller's thread (LMDB readers never block). Writes are queued to one
/// writer thread, which runs every queued write body in its own nested transaction inside one
/// outer transaction and commits that once: concurrent writers share an fsync (group commit),
/// and a body that throws rolls back only its own changes. When the map is full the writer
/// doubles the map size and runs the batch again: a full map is growth, not an outage.
/// `@unchecked Sendable`: an `MDB_env` may be shared by threads (LMDB documents it); the map
/// size is guarded by `resizeLock` and `mapSize`.
public final class LMDBEnvironment: @unchecked Sendable {
    /// Options for opening an environment.
    public struct Options: Sendable {
        /// Initial size of the memory map; it doubles whenever a write does not fit.
        public var mapSize: Int
        /// Upper bound for growth.
        public var maxMapSize: Int
        public var maxDatabases: UInt32 = 16
        public var maxReaders: UInt32 = 256
        /// `false` skips fsync on commit (MDB_NOSYNC): only for throwaway data.
        public var durable: Bool = true

        public init(mapSize: Int = 1 << 30, maxMapSize: Int = 1 << 40) {
            self.mapSize = mapSize
            self.maxMapSize = maxMapSize
        }
    }

    private let environment: OpaquePointer
    private let databases: [String: LMDBDatabase]
    private let writer: LMDBWriter
    /// Readers hold it shared, a resize holds it exclusively (LMDB requires that no transaction
    /// of this process is active while the map size changes).
    let resizeLock: ReadWriteLock
    let mapSize: Mutex<Int>
    /// Reset read transactions kept for reuse (MDB_NOTLS lets any thread renew one).
    private let idleReaders = Mutex<[IdleReader]>([])
    private static let maxIdleReaders = 32

    private struct IdleReader: @unchecked Sendable {
        let pointer: OpaquePointer
    }
    let maxMapSize: Int
    public let path: String
    private let logger: Logger

    /// Opens (creating if needed) the environment in directory `path` with the named databases.
    public init(path: String, databases names: [String], options: Options = Options(), logger: Logger = Logger(label: "lmdb")) throws(LMDBError) {
        self.path = path
        self.logger = logger
        do {
            try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        } catch {
            throw .other(code: EACCES, message: "cannot create \(path): \(error.localizedDescription)")
        }
        var created: OpaquePointer?
        try check(mdb_env_create(&created))
        guard let created else { throw .invalid }
        var flags = UInt32(MDB_NOTLS)
        if !options.durable { flags |= UInt32(MDB_NOSYNC) }
        do throws(LMDBError) {
            try check(mdb_env_set_maxdbs(created, options.maxDatabases))
            try check(mdb_env_set_maxreaders(created, options.maxReaders))
            try check(mdb_env_set_mapsize(created, options.mapSize))
            try check(mdb_env_open(created, path, flags, 0o600))
        } catch {
            mdb_env_close(created)
            throw error
        }
        // The map may already be larger (a file grown earlier): adopt the file's size.
        var info = MDB_envinfo()
        mdb_env_info(created, &info)
        environment = created
        mapSize = Mutex(max(options.mapSize, info.me_mapsize))
        maxMapSize = options.maxMapSize
        resizeLock = ReadWriteLock()
        var handles: [String: LMDBDatabase] = [:]
        var transaction: OpaquePointer?
        try check(mdb_txn_begin(created, nil, 0, &transaction))
        guard let transaction else { throw .badTransaction }
        for name in names {
            var handle = MDB_dbi()
            let code = mdb_dbi_open(transaction, name, UInt32(MDB_CREATE), &handle)
            if code != 0 { mdb_txn_abort(transaction); mdb_env_close(created); throw LMDBError(code: code) }
            handles[name] = LMDBDatabase(handle: handle)
        }
        let commit = mdb_txn_commit(transaction)
        if commit != 0 { mdb_env_close(created); throw LMDBError(code: commit) }
        databases = handles
        writer = LMDBWriter(logger: logger)
        writer.start(environment: self)
    }

    deinit {
        writer.stop()
        for transaction in idleReaders.withLock({ $0 }) { mdb_txn_abort(transaction.pointer) }
        mdb_env_close(environment)
    }

    /// The handle of a database named when the environment was opened.
    public func database(_ name: String) -> LMDBDatabase {
        guard let database = databases[name] else { preconditionFailure("LMDB database \(name) was not declared when opening \(path)") }
        return database
    }

    /// Runs `body` in a read-only transaction on the calling thread.
    public func read<T>(_ body: (borrowing LMDBTransaction) throws -> T) throws -> T {
        resizeLock.lockShared()
        defer { resizeLock.unlockShared() }
        var pointer = try beginRead()
        if pointer == nil {
            // Another process grew the map: adopt its size (needs the exclusive lock).
            resizeLock.unlockShared()
            adoptForeignMapSize()
            resizeLock.lockShared()
            pointer = try beginRead()
        }
        guard let pointer else { throw LMDBError.mapResized }
        defer { endRead(pointer) }
        return try body(LMDBTransaction(pointer: pointer))
    }

    /// A read transaction: a reset one from the idle pool renewed (cheaper than a new one), or a
    /// new one. Nil when the map was resized by another process.
    private func beginRead() throws(LMDBError) -> OpaquePointer? {
        if let idle = idleReaders.withLock({ $0.popLast() }) {
            let code = mdb_txn_renew(idle.pointer)
            if code == 0 { return idle.pointer }
            mdb_txn_abort(idle.pointer)
            if code == MDB_MAP_RESIZED { return nil }
        }
        var pointer: OpaquePointer?
        let code = mdb_txn_begin(environment, nil, UInt32(MDB_RDONLY), &pointer)
        if code == MDB_MAP_RESIZED { return nil }
        try check(code)
        guard let pointer else { throw .badTransaction }
        return pointer
    }

    /// Resets a finished read transaction into the idle pool (or aborts it when the pool is full).
    private func endRead(_ pointer: OpaquePointer) {
        mdb_txn_reset(pointer)
        let kept = idleReaders.withLock { idle -> Bool in
            guard idle.count < Self.maxIdleReaders else { return false }
            idle.append(IdleReader(pointer: pointer))
            return true
        }
        if !kept { mdb_txn_abort(pointer) }
    }

    /// Runs `body` in a write transaction on the writer thread and answers once it is durably
    /// committed. A throwing body changes nothing. Bodies must be short and must not block.
    public func write<T: Sendable>(_ body: @escaping @Sendable (borrowing LMDBTransaction) throws -> T) async throws -> T {
        let outcome = LMDBWriter.Outcome<T>()
        return try await withCheckedThrowingContinuation { continuation in
            writer.enqueue(LMDBWriter.Job { transaction in
                do {
                    outcome.result = .success(try body(transaction))
                    return .kept
                } catch LMDBError.mapFull {
                    return .mapFull
                } catch {
                    outcome.result = .failure(error)
                    return .rolledBack
                }
            } finish: { commitError in
                if let commitError { continuation.resume(throwing: commitError) } else { continuation.resume(with: outcome.result) }
            })
        }
    }

    /// Runs `body` in a write transaction synchronously on the calling thread (for opening and
    /// for tools). Not to be used from request handlers.
    public func writeNow<T>(_ body: (borrowing LMDBTransaction) throws -> T) throws -> T {
        try writer.runNow(environment: self, body)
    }

    // MARK: - For the writer

    func beginWrite(parent: OpaquePointer?) throws(LMDBError) -> OpaquePointer {
        var pointer: OpaquePointer?
        try check(mdb_txn_begin(environment, parent, 0, &pointer))
        guard let pointer else { throw .badTransaction }
        return pointer
    }

    /// Runs a write on this thread with the resize lock held shared (so no map change can happen
    /// while its transaction is open), growing or adopting the map between attempts as needed.
    func withResizeGuard<T>(_ attempt: () throws -> T?) throws -> T {
        while true {
            resizeLock.lockShared()
            let result: T?
            do {
                result = try attempt()
            } catch LMDBError.mapResized {
                resizeLock.unlockShared()
                adoptForeignMapSize()
                continue
            } catch LMDBError.mapFull {
                resizeLock.unlockShared()
                try grow()
                continue
            } catch {
                resizeLock.unlockShared()
                throw error
            }
            resizeLock.unlockShared()
            if let result { return result }
            try grow()
        }
    }

    /// Doubles the map (writer thread only, with no write transaction open). Throws when the
    /// configured maximum is reached.
    func grow() throws(LMDBError) {
        let current = mapSize.withLock { $0 }
        guard current < maxMapSize else { throw .mapFull }
        let next = min(current * 2, maxMapSize)
        resizeLock.lockExclusive()
        defer { resizeLock.unlockExclusive() }
        try check(mdb_env_set_mapsize(environment, next))
        mapSize.withLock { $0 = next }
        logger.notice("LMDB map grown", metadata: ["path": "\(path)", "map_size": "\(next)"])
    }

    func adoptForeignMapSize() {
        resizeLock.lockExclusive()
        defer { resizeLock.unlockExclusive() }
        mdb_env_set_mapsize(environment, 0)
        var info = MDB_envinfo()
        mdb_env_info(environment, &info)
        mapSize.withLock { $0 = info.me_mapsize }
    }

    /// Lends the raw `MDB_env` pointer: for benchmarks that compare the wrapper with direct C
    /// calls on the same data. Transactions begun through it must end inside `body`.
    public func withUnsafeEnvironment<T>(_ body: (OpaquePointer) throws -> T) rethrows -> T {
        resizeLock.lockShared()
        defer { resizeLock.unlockShared() }
        return try body(environment)
    }

    /// The current size of the memory map.
    public var currentMapSize: Int { mapSize.withLock { $0 } }
}
