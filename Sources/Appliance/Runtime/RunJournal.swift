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
        let recorded = try await store.read { db in try RunRepository.journalResult(db, runID: runID, key: key) }
        let startedAt = now()
        current.withLock { $0.key = key; $0.startedAt = startedAt }
        return recorded
    }

    func record(_ key: String, _ result: JSONValue) async throws {
        let (tenantID, runID) = (tenantID, runID)
        let recordedAt = now()
        let (startedAt, known) = current.withLock { state in (state.key == key ? state.startedAt : recordedAt, state.sequence) }
        let duration = Int64(max(0, recordedAt.timeIntervalSince(startedAt) * 1000))
        let sequence = try await writer.write { db in
            let sequence = try known ?? RunRepository.nextJournalSequence(db, runID: runID)
            try RunRepository.record(
                db, tenantID: tenantID, runID: runID, key: key, result: result, startedAt: Timestamp.string(startedAt),
                recordedAt: Timestamp.string(recordedAt), durationMS: duration, sequence: sequence)
            return sequence
        }
        current.withLock { $0.sequence = sequence + 1 }
    }
}
