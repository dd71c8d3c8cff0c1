import CoreEngine
import Foundation
import Storage
import Synchronization

/// A run's journal in `mod_scaicore_run_journal`: effect results by step key, each recorded
/// durably (group-committed) before the engine moves on. A key recorded twice keeps its first
/// result. It also remembers which step is acting — the key the engine looked up last — so that
/// effects can name themselves (plugin idempotency keys, emitted events).
final class RunJournal: Journal {
    let tenantID: String
    let runID: String
    private let store: any RelationalStore
    private let writer: GroupCommitWriter
    private let now: Now
    private let current = Mutex<(key: String, startedAt: Date, sequence: Int64?)>(("", Date(), nil))
    /// Keys an effect recorded itself, in its own transaction (the engine's record is then a no-op).
    private let recordedByEffect = Mutex<Set<String>>([])

    init(tenantID: String, runID: String, store: any RelationalStore, writer: GroupCommitWriter, now: @escaping Now) {
        self.tenantID = tenantID
        self.runID = runID
        self.store = store
        self.writer = writer
        self.now = now
    }

    /// The key of the effect being performed.
    var currentKey: String { current.withLock { $0.key } }

    func lookup(_ key: String) async throws -> JSONValue? {
        let runID = runID
        let recorded = try await StorageFailure.wrap { try await self.store.read { db in try RunRepository.journalResult(db, runID: runID, key: key) } }
        let startedAt = now()
        current.withLock { $0.key = key; $0.startedAt = startedAt }
        return recorded
    }

    func record(_ key: String, _ result: JSONValue) async throws {
        if recordedByEffect.withLock({ $0.remove(key) != nil }) { return }
        try await StorageFailure.wrap { try await self.commit(key, result) { _ in () } }
    }

    /// Writes `key`'s entry in one group-committed transaction with `effect`'s writes.
    private func commit<T: Sendable>(_ key: String, _ result: JSONValue, effect: @escaping @Sendable (any SQLConnection) throws -> T) async throws -> T {
        let (tenantID, runID) = (tenantID, runID)
        let recordedAt = now()
        let (startedAt, known) = current.withLock { state in (state.key == key ? state.startedAt : recordedAt, state.sequence) }
        let duration = Int64(max(0, recordedAt.timeIntervalSince(startedAt) * 1000))
        let (sequence, value) = try await writer.write { db in
            let value = try effect(db)
            let sequence = try known ?? RunRepository.nextJournalSequence(db, runID: runID)
            try RunRepository.record(
                db, tenantID: tenantID, runID: runID, key: key, result: result, startedAt: Timestamp.string(startedAt),
                recordedAt: Timestamp.string(recordedAt), durationMS: duration, sequence: sequence)
            return (sequence, value)
        }
        current.withLock { $0.sequence = sequence + 1 }
        return value
    }

    /// Records `key` in the same transaction as `effect`'s writes: the effect and its journal
    /// entry are durable together or not at all. The engine's own record of the key is then skipped.
    func recordWith<T: Sendable>(_ key: String, _ result: JSONValue, _ effect: @escaping @Sendable (any SQLConnection) throws -> T) async throws -> T {
        let value = try await StorageFailure.wrap { try await self.commit(key, result, effect: effect) }
        recordedByEffect.withLock { _ = $0.insert(key) }
        return value
    }
}

/// A store failing under a run (I/O error, full disk, a lock held too long). The run does not
/// fail for it: its executor retries it from the journal with backoff (docs/runtime.md,
/// "Failures and retries").
enum StorageFailure {
    static let code = "storage_error"

    /// Runs `body`; an error that is not the program's (a ``RunError``, a bad memory key or value)
    /// or a refusal (``ApplianceError``) becomes a ``RunError`` with code ``code``.
    static func wrap<T>(_ body: () async throws -> T) async throws -> T {
        do {
            return try await body()
        } catch let error as RunError {
            throw error
        } catch let error as ApplianceError {
            throw error
        } catch let error as KeyValueError {
            // A bad key or value is the program's doing, not the store's.
            throw RunError(code: "invalid_memory", message: error.description, step: nil)
        } catch {
            throw RunError(code: code, message: "\(error)", step: nil)
        }
    }
}
