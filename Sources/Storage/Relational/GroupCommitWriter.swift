/// Shares one transaction — and one fsync — among writes submitted at the same time.
///
/// Each body runs inside its own savepoint of the shared transaction, so a body that throws rolls
/// back alone and its caller gets the error; the others commit. A write returns only after the
/// shared transaction is durably committed. While one transaction commits, the writes that arrive
/// queue up and go together into the next: under load many writes share each fsync, and a lone
/// write waits for nobody.
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

    /// Runs `body` in a savepoint of the next shared transaction; answers its result once committed.
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
                    // One savepoint at a time, so one name (and three cached statements) serves all.
                    try bodies.map { body -> Result<any Sendable, any Error> in
                        try db.execute("SAVEPOINT group_commit")
                        let result = Result { try body(db) }
                        if case .failure = result { try db.execute("ROLLBACK TO SAVEPOINT group_commit") }
                        try db.execute("RELEASE SAVEPOINT group_commit")
                        return result
                    }
                }
                for (job, result) in zip(batch, results) { job.continuation.resume(with: result) }
            } catch {
                for job in batch { job.continuation.resume(throwing: error) }
            }
        }
        flushing = false
    }
}
