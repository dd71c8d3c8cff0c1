import CoreEngine
import Foundation
import Storage
import Synchronization

/// A run's journal in `mod_scaicore_run_journal`: effect results by step key. A key recorded
/// twice keeps its first result. It also remembers which step is acting — the key the engine
/// looked up last — so that effects can name themselves (plugin idempotency keys, emitted events).
///
/// The recorded entries are read once, at the execution's first lookup. New entries become
/// durable by one of two rules, chosen by the host for each effect (``willPerform(_:)``):
/// - ``EffectKind/external`` (plugins, models: calls that leave the appliance) — every entry
///   waiting is written first, and the effect's own entry is written before the run moves on.
/// - ``EffectKind/read``, ``EffectKind/write`` and ``EffectKind/transactional`` (memory reads and
///   writes, emitted events, resolutions) — the entry waits for the run's next durable write: the
///   next external effect, or the transaction that finishes, suspends or puts the run to sleep,
///   which carries it. Entries of reads are written before a later memory write becomes visible
///   (``willPerform(_:)`` with `.write`); transactional writes (an emit's deliveries) go into the
///   same transaction as their entry and need nothing written before them.
///
/// So a crash re-executes from the last durable entry only work that nothing outside the run has
/// seen, plus memory writes that set the very values they set before (every value they were
/// computed from is durable), and emitted events, whose deliveries are in the same transaction as
/// their entries and so happened not at all or together with them. An entry recorded without a
/// kind is written at once.
final class RunJournal: Journal {
    /// How an effect's journal entry becomes durable (see the type's documentation).
    enum EffectKind: Sendable {
        /// Reads a store; the result may differ if performed again.
        case read
        /// Writes another store (memory), visible at once.
        case write
        /// Writes made in the journal's transaction, with the entry (``recordWith(_:_:_:)``).
        case transactional
        /// Leaves the appliance (plugins, models).
        case external
    }

    let tenantID: String
    let runID: String
    private let store: any RelationalStore
    private let writer: GroupCommitWriter
    private let now: Now
    private let state = Mutex(State())

    private struct State {
        var currentKey = ""
        var currentStartedAt = Date()
        var currentKind: EffectKind?
        /// Entries on disk when the execution began (nil until the first lookup reads them).
        var recorded: [String: JSONValue]?
        /// The next entry's sequence number (nil until known).
        var nextSequence: Int64?
        /// Entries waiting for the run's next durable write, in order (at most ``maxWaiting``).
        var waiting: [Entry] = []
        var waitingIncludesReads = false
        /// Keys an effect recorded itself (the engine's record is then a no-op).
        var recordedByEffect: Set<String> = []
    }

    /// A journal entry not yet written, with the writes of its effect that go in the same transaction.
    private struct Entry: Sendable {
        let key: String
        let result: JSONValue
        let startedAt: Date
        let recordedAt: Date
        /// Writes made with the entry; answers what to do once they are committed.
        let effect: (@Sendable (any SQLConnection) throws -> @Sendable () async -> Void)?
    }

    /// Where a store failing under the journal is reported (`/readyz`).
    private let health: StorageHealth?

    init(tenantID: String, runID: String, store: any RelationalStore, writer: GroupCommitWriter, health: StorageHealth? = nil, now: @escaping Now) {
        self.tenantID = tenantID
        self.runID = runID
        self.store = store
        self.writer = writer
        self.health = health
        self.now = now
    }

    /// The key of the effect being performed.
    var currentKey: String { state.withLock { $0.currentKey } }

    func lookup(_ key: String) async throws -> JSONValue? {
        let recorded = try await recordedEntries()
        let startedAt = now()
        return state.withLock { state in
            state.currentKey = key
            state.currentStartedAt = startedAt
            state.currentKind = nil
            return recorded[key] ?? state.waiting.first(where: { $0.key == key })?.result
        }
    }

    /// The host names the kind of the effect it is about to perform; with `.external`, and with
    /// `.write` after reads, entries waiting are written first.
    func willPerform(_ kind: EffectKind) async throws {
        let flushFirst = state.withLock { state in
            state.currentKind = kind
            switch kind {
            case .read, .transactional: return false
            case .write: return state.waitingIncludesReads
            case .external: return !state.waiting.isEmpty
            }
        }
        if flushFirst { try await flush() }
    }

    func record(_ key: String, _ result: JSONValue) async throws {
        let recordedAt = now()
        let writeNow = state.withLock { state -> Bool in
            if state.recordedByEffect.remove(key) != nil { return state.waiting.count >= Self.maxWaiting }
            let kind = state.currentKind  // named by the host for this effect (or a resumption)
            state.currentKind = nil
            let startedAt = state.currentKey == key ? state.currentStartedAt : recordedAt
            state.waiting.append(Entry(key: key, result: result, startedAt: startedAt, recordedAt: recordedAt, effect: nil))
            if kind == .read { state.waitingIncludesReads = true }
            return kind == nil || kind == .external || state.waiting.count >= Self.maxWaiting
        }
        if writeNow { try await flush() }
    }

    /// Records `key` with `effect`'s writes, in the same transaction whenever it is written; after
    /// the commit, the closure `effect` answered runs. The engine's own record of the key is skipped.
    func recordWith(_ key: String, _ result: JSONValue, _ effect: @escaping @Sendable (any SQLConnection) throws -> @Sendable () async -> Void) {
        let recordedAt = now()
        state.withLock { state in
            let startedAt = state.currentKey == key ? state.currentStartedAt : recordedAt
            state.waiting.append(Entry(key: key, result: result, startedAt: startedAt, recordedAt: recordedAt, effect: effect))
            state.recordedByEffect.insert(key)
        }
    }

    /// Entries that may wait at most; the record that reaches it writes them (a long loop of
    /// memory steps commits in slices rather than in one huge final transaction).
    static let maxWaiting = 256

    /// Writes every waiting entry now.
    func flush() async throws {
        guard state.withLock({ !$0.waiting.isEmpty }) else { return }
        try await commit { _ in () }
    }

    /// Writes every waiting entry and `final`'s writes in one group-committed transaction.
    @discardableResult
    func commit<T: Sendable>(with final: @escaping @Sendable (any SQLConnection) throws -> T) async throws -> T {
        let (entries, known) = state.withLock { state in
            let entries = state.waiting
            state.waiting = []
            state.waitingIncludesReads = false
            return (entries, state.nextSequence)
        }
        let (tenantID, runID) = (tenantID, runID)
        let (next, value, afterwards) = try await StorageFailure.wrap(reportingTo: health) {
            try await writer.write { db in
                var sequence = try known ?? RunRepository.nextJournalSequence(db, runID: runID)
                var afterwards: [@Sendable () async -> Void] = []
                for entry in entries {
                    if let effect = entry.effect { afterwards.append(try effect(db)) }
                    let duration = Int64(max(0, entry.recordedAt.timeIntervalSince(entry.startedAt) * 1000))
                    try RunRepository.record(
                        db, tenantID: tenantID, runID: runID, key: entry.key, result: entry.result, startedAt: Timestamp.string(entry.startedAt),
                        recordedAt: Timestamp.string(entry.recordedAt), durationMS: duration, sequence: sequence)
                    sequence += 1
                }
                return (sequence, try final(db), afterwards)
            }
        }
        state.withLock { state in
            state.nextSequence = next
            // Written now: a later lookup in this execution answers them as recorded.
            state.recorded?.merge(entries.map { ($0.key, $0.result) }) { first, _ in first }
        }
        for after in afterwards { await after() }
        return value
    }

    /// The entries on disk, read at the first call.
    private func recordedEntries() async throws -> [String: JSONValue] {
        if let recorded = state.withLock({ $0.recorded }) { return recorded }
        let runID = runID
        let (entries, last) = try await StorageFailure.wrap(reportingTo: health) { try await self.store.read { db in try RunRepository.journalResults(db, runID: runID) } }
        state.withLock { state in
            state.recorded = entries
            if state.nextSequence == nil { state.nextSequence = last + 1 }
        }
        return entries
    }
}

/// A store failing under a run (I/O error, full disk, a lock held too long). The run does not
/// fail for it: its executor retries it from the journal with backoff (docs/runtime.md,
/// "Failures and retries").
enum StorageFailure {
    static let code = "storage_error"
    /// The code of a store failing for a full disk: the run waits for space longer (``Runtime``).
    static let fullCode = "storage_full"

    /// True for the codes of ``wrap(_:)``: not the program's failure.
    static func isStorageFailure(_ error: RunError) -> Bool { error.code == code || error.code == fullCode }

    /// Runs `body`; an error that is not the program's (a ``RunError``, a bad memory key or value)
    /// or a refusal (``ApplianceError``) becomes a ``RunError`` with code ``code`` (``fullCode``
    /// for a full disk). A storage fault is reported to `health` first: the run error that carries
    /// it on no longer says which store failed.
    static func wrap<T>(reportingTo health: StorageHealth?, _ body: () async throws -> T) async throws -> T {
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
            let fault = health?.record(ifFault: error) ?? StorageFault.of(error)
            throw RunError(code: fault?.kind == .full ? fullCode : code, message: fault?.description ?? "\(error)", step: nil)
        }
    }
}
