/// Shares one transaction — and one fsync — among writes submitted at the same time.
///
/// A write returns only after the shared transaction is durably committed. While one transaction
/// commits, the writes that arrive queue up and go together into the next: under load many writes
/// share each fsync, and a lone write waits for nobody. A body that throws rolls back alone and
/// its caller gets the error; the others commit. To keep that cheap, a batch first runs as a plain
/// transaction (no savepoint, so SQLite keeps no sub-journal of the pages it touches); only when a body throws is
/// that transaction rolled back and the batch run again in a new one, with a savepoint per body.
/// So a body may run twice: it must act only through the connection it is given.
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
                let results = try await Self.commit(bodies, store)
                for (job, result) in zip(batch, results) { job.continuation.resume(with: result) }
            } catch {
                for job in batch { job.continuation.resume(throwing: error) }
            }
        }
        flushing = false
    }

    /// Commits a batch: all bodies in one transaction, or — when one throws — each in its own
    /// savepoint of a second transaction. Throws only what fails the transaction itself.
    private static func commit(_ bodies: [@Sendable (any SQLConnection) throws -> any Sendable], _ store: any RelationalStore) async throws -> [Result<any Sendable, any Error>] {
        do {
            return try await store.write { db in try together(bodies, db) }
        } catch let refused as BodyFailed {
            // The transaction was rolled back. A lone body's error is its answer.
            if bodies.count == 1 { return [.failure(refused.error)] }
            return try await store.write { db in try oneByOne(bodies, db) }
        }
    }

    /// A body threw inside a shared transaction; the store rolls the transaction back.
    private struct BodyFailed: Error {
        let error: any Error
    }

    /// Runs every body in the store's transaction; throws ``BodyFailed`` when one throws.
    private static func together(_ bodies: [@Sendable (any SQLConnection) throws -> any Sendable], _ db: any SQLConnection) throws -> [Result<any Sendable, any Error>] {
        var results: [Result<any Sendable, any Error>] = []
        results.reserveCapacity(bodies.count)
        for body in bodies {
            do {
                results.append(.success(try body(db)))
            } catch {
                throw BodyFailed(error: error)
            }
        }
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
