/// Shares one transaction — and one fsync — among writes submitted at the same time.
///
/// A write returns only after the shared transaction is durably committed. While one transaction
/// commits, the writes that arrive queue up and go together into the next: under load many writes
/// share each fsync, and a lone write waits for nobody. A body that throws rolls back alone and
/// its caller gets the error; the others commit. To keep that cheap, a batch first runs inside one
/// savepoint; only when a body throws is the batch rolled back and run again with a savepoint per
/// body. So a body may run twice: it must act only through the connection it is given.
public actor GroupCommitWriter {
    private let store: any RelationalStore
    private let maxBatch: Int
    private var pending: [Job] = []
    private var flushing = false

    private struct Job {
        let body: @Sendable (any SQLConnection) throws -> any Sendable
        let continuation: CheckedContinuation<any Sendable, any Error>
    }

    /// `maxBatch` bounds how many writes share one transaction.
    public init(store: any RelationalStore, maxBatch: Int = 512) {
        self.store = store
        self.maxBatch = max(1, maxBatch)
    }

    /// Runs `body` in the next shared transaction; answers its result once committed. `body` may
    /// run twice (see the type) and must act only through its connection.
    @discardableResult
    public func write<T: Sendable>(_ body: @escaping @Sendable (any SQLConnection) throws -> T) async throws -> T {
        let result = try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<any Sendable, any Error>) in
            pending.append(Job(body: { db in try body(db) }, continuation: continuation))
            if !flushing {
                flushing = true
                Task { await self.flush() }
            }
        }
        guard let typed = result as? T else { throw StorageError.decoding(column: "group commit", expected: "\(T.self)") }
        return typed
    }

    private func flush() async {
        while !pending.isEmpty {
            let batch = Array(pending.prefix(maxBatch))
            pending.removeFirst(batch.count)
            let bodies = batch.map(\.body)
            do {
                let results = try await store.write { db in
                    try Self.together(bodies, db) ?? Self.oneByOne(bodies, db)
                }
                for (job, result) in zip(batch, results) { job.continuation.resume(with: result) }
            } catch {
                for job in batch { job.continuation.resume(throwing: error) }
            }
        }
        flushing = false
    }

    /// Runs every body in one savepoint; nil (everything rolled back) when one throws.
    private static func together(_ bodies: [@Sendable (any SQLConnection) throws -> any Sendable], _ db: any SQLConnection) throws -> [Result<any Sendable, any Error>]? {
        guard bodies.count > 1 else { return nil }
        try db.execute("SAVEPOINT group_commit_batch")
        var results: [Result<any Sendable, any Error>] = []
        results.reserveCapacity(bodies.count)
        for body in bodies {
            do {
                results.append(.success(try body(db)))
            } catch {
                try db.execute("ROLLBACK TO SAVEPOINT group_commit_batch")
                try db.execute("RELEASE SAVEPOINT group_commit_batch")
                return nil
            }
        }
        try db.execute("RELEASE SAVEPOINT group_commit_batch")
        return results
    }

    /// Runs each body in its own savepoint: one that throws rolls back alone.
    private static func oneByOne(_ bodies: [@Sendable (any SQLConnection) throws -> any Sendable], _ db: any SQLConnection) throws -> [Result<any Sendable, any Error>] {
        // One savepoint at a time, so one name (and three cached statements) serves all.
        try bodies.map { body -> Result<any Sendable, any Error> in
            try db.execute("SAVEPOINT group_commit")
            let result = Result { try body(db) }
            if case .failure = result { try db.execute("ROLLBACK TO SAVEPOINT group_commit") }
            try db.execute("RELEASE SAVEPOINT group_commit")
            return result
        }
    }
}
