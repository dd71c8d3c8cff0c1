@testable import Appliance
import CoreEngine
import Foundation
import Storage
import Testing

/// When a run's journal entries become durable (Sources/Appliance/Runtime/RunJournal.swift).
@Suite struct RunJournalTests {
    /// Counts the after-commit callbacks that ran.
    private actor Callbacks {
        var count = 0
        func ran() { count += 1 }
    }

    private static func durableKeys(_ t: TestAppliance, runID: String) async throws -> [String] {
        let tenantID = t.first.tenantID
        return try await t.appliance.runtime.store.read { db in
            try RunRepository.journal(db, tenantID: tenantID, runID: runID).compactMap { $0.objectValue?["key"]?.stringValue }
        }
    }

    private static func journal(_ t: TestAppliance, runID: String) -> RunJournal {
        RunJournal(tenantID: t.first.tenantID, runID: runID, store: t.appliance.runtime.store, writer: t.appliance.runtime.writer, now: { Date() })
    }

    @Test func entriesBecomeDurableByTheKindOfTheirEffect() async throws {
        let t = try await TestAppliance.make()
        let runID = "run_journal_test"
        let journal = Self.journal(t, runID: runID)
        let callbacks = Callbacks()

        // A read waits for the next durable write.
        #expect(try await journal.lookup("read") == nil)
        try await journal.willPerform(.read)
        try await journal.record("read", 41)
        #expect(try await Self.durableKeys(t, runID: runID) == [])

        // A write first makes the reads before it durable (its value came from them); it waits itself.
        _ = try await journal.lookup("write")
        try await journal.willPerform(.write)
        #expect(try await Self.durableKeys(t, runID: runID) == ["read"])
        try await journal.record("write", true)
        #expect(try await Self.durableKeys(t, runID: runID) == ["read"])

        // An emit-like effect: its writes and entry wait together; after the commit its callback runs.
        _ = try await journal.lookup("emit")
        try await journal.willPerform(.transactional)
        journal.recordWith("emit", true) { db in
            try db.execute("INSERT INTO no_such_table VALUES (1)", [])
            return { await callbacks.ran() }
        }
        try await journal.record("emit", true)  // the engine's own record: skipped
        #expect(try await Self.durableKeys(t, runID: runID) == ["read"])

        // An external call writes everything waiting first: here the emit's write fails (no such
        // table), so nothing of that transaction is kept and the caller hears of it.
        _ = try await journal.lookup("plugin")
        await #expect(throws: RunError.self) { try await journal.willPerform(.external) }
        #expect(try await Self.durableKeys(t, runID: runID) == ["read"])
        #expect(await callbacks.count == 0)
        await t.appliance.shutdown()
    }

    @Test func externalEffectsAndUnnamedEntriesAreWrittenAtOnceAndTheRestWithTheFinalWrite() async throws {
        let t = try await TestAppliance.make()
        let runID = "run_journal_order"
        let journal = Self.journal(t, runID: runID)
        let callbacks = Callbacks()

        _ = try await journal.lookup("get")
        try await journal.willPerform(.read)
        try await journal.record("get", "value")
        _ = try await journal.lookup("emit")
        try await journal.willPerform(.transactional)  // its writes join the entries: nothing written first
        journal.recordWith("emit", true) { _ in { await callbacks.ran() } }
        #expect(try await Self.durableKeys(t, runID: runID) == [])

        _ = try await journal.lookup("plugin")
        try await journal.willPerform(.external)
        #expect(try await Self.durableKeys(t, runID: runID) == ["get", "emit"])
        #expect(await callbacks.count == 1)
        try await journal.record("plugin", ["paid": true])
        #expect(try await Self.durableKeys(t, runID: runID) == ["get", "emit", "plugin"])

        // An entry whose effect named no kind is written at once.
        _ = try await journal.lookup("unnamed")
        try await journal.record("unnamed", 1)
        #expect(try await Self.durableKeys(t, runID: runID) == ["get", "emit", "plugin", "unnamed"])

        // The run's final write carries what waits, in the same transaction.
        _ = try await journal.lookup("put")
        try await journal.willPerform(.write)
        try await journal.record("put", true)
        let answer = try await journal.commit { db in
            try db.queryOne("SELECT COUNT(*) AS n FROM mod_scaicore_run_journal WHERE run_id = ?", [.text(runID)])?.integer("n")
        }
        #expect(answer == 5, "the final write saw the waiting entry in its own transaction")
        #expect(try await Self.durableKeys(t, runID: runID) == ["get", "emit", "plugin", "unnamed", "put"])

        // A later execution reads the entries once and answers them without a query per key.
        let again = Self.journal(t, runID: runID)
        #expect(try await again.lookup("get") == "value")
        #expect(try await again.lookup("plugin") == ["paid": true])
        #expect(try await again.lookup("never") == nil)
        // ... and numbers its entries after the last one.
        try await again.record("next", 2)
        let sequences = try await t.appliance.runtime.store.read { db in
            try db.query("SELECT step_key, seq FROM mod_scaicore_run_journal WHERE run_id = ? ORDER BY seq", [.text(runID)])
                .map { "\(try $0.text("step_key")):\(try $0.integer("seq"))" }
        }
        #expect(sequences == ["get:1", "emit:2", "plugin:3", "unnamed:4", "put:5", "next:6"])
        await t.appliance.shutdown()
    }

    @Test func aLongRunWritesItsWaitingEntriesInSlicesAndKnowsWhatItWrote() async throws {
        let t = try await TestAppliance.make()
        let runID = "run_journal_slices"
        let journal = Self.journal(t, runID: runID)
        for index in 0..<(RunJournal.maxWaiting + 10) {
            _ = try await journal.lookup("read[\(index)]")
            try await journal.willPerform(.read)
            try await journal.record("read[\(index)]", .integer(Int64(index)))
        }
        #expect(try await Self.durableKeys(t, runID: runID).count == RunJournal.maxWaiting, "the 256th entry wrote them all")
        // Emitted events too: their entries and deliveries wait in the same bound.
        let emits = Self.journal(t, runID: "run_journal_emits")
        for index in 0..<RunJournal.maxWaiting {
            _ = try await emits.lookup("emit[\(index)]")
            try await emits.willPerform(.transactional)
            emits.recordWith("emit[\(index)]", true) { _ in {} }
            try await emits.record("emit[\(index)]", true)
        }
        #expect(try await Self.durableKeys(t, runID: "run_journal_emits").count == RunJournal.maxWaiting)
        // A key written in this execution is answered as recorded, not performed again.
        #expect(try await journal.lookup("read[3]") == 3)
        #expect(try await journal.lookup("read[\(RunJournal.maxWaiting + 5)]") == .integer(Int64(RunJournal.maxWaiting + 5)))
        try await journal.flush()
        #expect(try await Self.durableKeys(t, runID: runID).count == RunJournal.maxWaiting + 10)
        await t.appliance.shutdown()
    }
}
