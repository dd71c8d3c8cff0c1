@testable import Appliance
import CoreEngine
import Foundation
import Testing

/// The runtime inside one process: intake → dispatcher → engine → stores, checkpoints, recovery.
@Suite struct RuntimeTests {
    static let bundle: JSONValue = [
        "ir_version": "1.0", "name": "runtime-test", "version": "0.1.0",
        "flows": [
            "on_ping": [
                "triggers": [["type": "event", "event": "ping"]],
                "steps": [
                    ["id": "remember", "op": "memory.put", "key": "last", "value": "{{ input.n }}"],
                    ["id": "tell", "op": "emit", "event": "pong", "data": ["n": "{{ input.n }}"]],
                    ["id": "done", "op": "return", "value": ["n": "{{ input.n }}"]],
                ],
            ],
            "on_pong": [
                "triggers": [["type": "event", "event": "pong"]],
                "steps": [["id": "done", "op": "return", "value": "{{ input }}"]],
            ],
            "ask_then_sleep": [
                "triggers": [["type": "event", "event": "ask.sleep"]],
                "steps": [
                    ["id": "approval", "op": "checkpoint", "kind": "approval", "title": "t", "assignee": "role:approver", "out": "d"],
                    ["id": "nap", "op": "sleep", "duration": "PT1S"],
                    ["id": "done", "op": "return", "value": "{{ d.decision }}"],
                ],
            ],
            "ask": [
                "triggers": [["type": "event", "event": "ask"]],
                "steps": [
                    ["id": "approval", "op": "checkpoint", "kind": "approval", "title": "Approve {{ input.n }}",
                     "assignee": "role:approver", "out": "decision"],
                    ["id": "done", "op": "return", "value": "{{ decision }}"],
                ],
            ],
        ],
    ]

    private func startedCore(_ t: TestAppliance) async throws -> Core {
        try await t.appliance.start()
        let core = try await t.cores.create(CoreDraft(name: "runtime", ir: Self.bundle), tenantID: t.first.tenantID, context: t.context(t.first))
        return try await t.cores.perform(.start, tenantID: t.first.tenantID, id: core.id, ifMatch: nil, context: t.context(t.first))
    }

    private func post(_ t: TestAppliance, _ core: Core, _ event: String, _ data: JSONValue) async throws -> Acceptance {
        var submission = Submission(tenantID: t.first.tenantID, coreID: core.id, eventName: event, data: data, source: .api)
        submission.sender = t.first.userID
        return try await t.appliance.runtime.intake.accept(submission)
    }

    /// A run suspended at a checkpoint, then the Core paused and three `ping` runs held by it.
    private func suspendedAndHeld(_ t: TestAppliance, _ core: Core) async throws -> (suspended: RunRecord, held: [String]) {
        let tenant = t.first.tenantID
        let asked = try await post(t, core, "ask", ["n": 1])
        let suspended = try await t.appliance.runtime.runs.wait(tenantID: tenant, id: asked.runIDs[0], seconds: 20)
        _ = try await t.cores.perform(.pause, tenantID: tenant, id: core.id, ifMatch: nil, context: t.context(t.first))
        var held: [String] = []
        for n in 0..<3 { held += try await post(t, core, "ping", ["n": .integer(Int64(n))]).runIDs }
        return (suspended, held)
    }

    @Test func anEventRunsItsFlowJournalsEachEffectAndDeliversWhatItEmits() async throws {
        let t = try await TestAppliance.make()
        let core = try await startedCore(t)
        let accepted = try await post(t, core, "ping", ["n": 7])
        #expect(accepted.runIDs.count == 1 && !accepted.replayed)
        let run = try await t.appliance.runtime.runs.wait(tenantID: t.first.tenantID, id: accepted.runIDs[0], seconds: 20)
        #expect(run.status == .completed && run.output == ["n": 7])
        let (_, journal) = try await t.appliance.runtime.runs.get(tenantID: t.first.tenantID, id: run.id, withJournal: true)
        #expect(journal?.compactMap { $0.objectValue?["key"]?.stringValue } == ["remember", "tell"])
        let stored = try await t.appliance.stores.memory.get("last", in: .init(tenant: t.first.tenantID, core: core.id, scope: "memory"))
        #expect(stored.map { try? JSONValue.parse($0) } == .some(.integer(7)))
        let events = try await t.appliance.runtime.runs.events(tenantID: t.first.tenantID, coreID: core.id, before: nil, limit: 10).items
        let pong = try #require(events.first { $0.name == "pong" })
        #expect(pong.source == .emit && pong.sourceRunID == run.id && pong.runIDs.count == 1)
        // Another tenant sees neither the run nor the Core's events.
        await #expect(throws: ApplianceError.self) { _ = try await t.appliance.runtime.runs.get(tenantID: t.second.tenantID, id: run.id) }
        await t.appliance.shutdown()
    }

    @Test func aRepeatedIdempotencyKeyAnswersTheFirstAcceptance() async throws {
        let t = try await TestAppliance.make()
        let core = try await startedCore(t)
        var submission = Submission(tenantID: t.first.tenantID, coreID: core.id, eventName: "ping", data: ["n": 1], source: .api)
        submission.idempotencyKey = "k-1"
        let first = try await t.appliance.runtime.intake.accept(submission)
        let again = try await t.appliance.runtime.intake.accept(submission)
        #expect(again.eventID == first.eventID && again.runIDs == first.runIDs && again.replayed)
        submission.data = ["n": 2]
        let refused = await kind { _ = try await t.appliance.runtime.intake.accept(submission) }
        #expect(refused == .unprocessable)
        await t.appliance.shutdown()
    }

    @Test func aCheckpointKeepsItsStateInTheObjectStoreAndTheRunResumesWhenResolved() async throws {
        let t = try await TestAppliance.make()
        let core = try await startedCore(t)
        let accepted = try await post(t, core, "ask", ["n": 3])
        let runs = t.appliance.runtime.runs
        let suspended = try await runs.wait(tenantID: t.first.tenantID, id: accepted.runIDs[0], seconds: 20)
        let checkpointID = try #require(suspended.checkpointID)
        #expect(suspended.status == .suspended)
        let state = try await t.appliance.internalObjects.checkpointState(tenantID: t.first.tenantID, coreID: core.id, checkpointID: checkpointID)
        #expect(state != nil)
        let checkpoint = try await t.appliance.runtime.checkpoints.get(tenantID: t.first.tenantID, id: checkpointID)
        #expect(checkpoint.assignee == "role:approver" && checkpoint.title == "Approve 3" && checkpoint.status == .open)

        let approver = Principal(tenantID: t.first.tenantID, userID: "user_approver", role: .approver, tokenID: "token_a")
        let viewer = Principal(tenantID: t.first.tenantID, userID: "user_viewer", role: .operator, tokenID: "token_v")
        let decision = Decision(decision: "approved", data: [:], comment: "fine")
        #expect(await kind { _ = try await t.appliance.runtime.checkpoints.decide(tenantID: t.first.tenantID, id: checkpointID, decision: decision, principal: viewer, context: t.context(viewer)) } == .forbidden)
        let resolved = try await t.appliance.runtime.checkpoints.decide(
            tenantID: t.first.tenantID, id: checkpointID, decision: decision, principal: approver, context: t.context(approver))
        #expect(resolved.status == .resolved && resolved.resolvedBy == ["user_approver"])
        let done = try await runs.wait(tenantID: t.first.tenantID, id: suspended.id, seconds: 20)
        #expect(done.status == .completed)
        #expect(done.output?.objectValue?["decision"] == "approved" && done.output?.objectValue?["comment"] == "fine")
        #expect(await kind { _ = try await t.appliance.runtime.checkpoints.decide(tenantID: t.first.tenantID, id: checkpointID, decision: decision, principal: approver, context: t.context(approver)) } == .conflict)
        await t.appliance.shutdown()
    }

    @Test func afterACrashQueuedRunsRunAndResolvedCheckpointsResume() async throws {
        let t = try await TestAppliance.make()
        let core = try await startedCore(t)
        let tenant = t.first.tenantID
        // A run suspended at a checkpoint, resolved; and runs queued on a paused Core. Then a "crash".
        let (suspended, queued) = try await suspendedAndHeld(t, core)
        let approver = Principal(tenantID: tenant, userID: "user_approver", role: .approver, tokenID: "token_a")
        _ = try await t.appliance.runtime.checkpoints.decide(
            tenantID: tenant, id: try #require(suspended.checkpointID), decision: Decision(decision: "rejected", data: [:], comment: nil),
            principal: approver, context: t.context(approver))
        t.appliance.abandonServingLock()

        // The new process finds the runs on disk: once the Core resumes, they run.
        let reopened = try TestAppliance.open(t.directory)
        try await reopened.migrate()
        try await reopened.start()
        _ = try await reopened.cores.perform(.resume, tenantID: tenant, id: core.id, ifMatch: nil, context: t.context(t.first))
        for id in queued + [suspended.id] {
            let run = try await reopened.runtime.runs.wait(tenantID: tenant, id: id, seconds: 20)
            #expect(run.status == .completed, "run \(id) is \(run.status)")
            let (_, journal) = try await reopened.runtime.runs.get(tenantID: tenant, id: id, withJournal: true)
            let keys = journal?.compactMap { $0.objectValue?["key"]?.stringValue } ?? []
            #expect(Set(keys).count == keys.count, "no effect is journaled twice: \(keys)")
        }
        await reopened.shutdown()
    }

    @Test func aSleepAfterAResolvedCheckpointWakesFromItsOwnState() async throws {
        let t = try await TestAppliance.make()
        let core = try await startedCore(t)
        let tenant = t.first.tenantID
        let accepted = try await post(t, core, "ask.sleep", [:])
        let suspended = try await t.appliance.runtime.runs.wait(tenantID: tenant, id: accepted.runIDs[0], seconds: 20)
        let approver = Principal(tenantID: tenant, userID: "user_approver", role: .approver, tokenID: "token_a")
        _ = try await t.appliance.runtime.checkpoints.decide(
            tenantID: tenant, id: try #require(suspended.checkpointID), decision: Decision(decision: "approved", data: [:], comment: nil),
            principal: approver, context: t.context(approver))
        // The clockwork that wakes sleepers runs in `serve`; here the test plays it.
        let ticker = RuntimeTicker(runtime: t.appliance.runtime, sweepInterval: .seconds(3600), remindBefore: nil)
        var run = try await t.appliance.runtime.runs.get(tenantID: tenant, id: suspended.id).0
        for _ in 0..<100 where run.status != .sleeping {
            try await Task.sleep(for: .milliseconds(50))
            run = try await t.appliance.runtime.runs.get(tenantID: tenant, id: suspended.id).0
        }
        #expect(run.status == .sleeping)
        for _ in 0..<100 where !run.status.isFinal {
            try await Task.sleep(for: .milliseconds(100))
            try await ticker.wakeSleepers()
            run = try await t.appliance.runtime.runs.get(tenantID: tenant, id: suspended.id).0
        }
        #expect(run.status == .completed && run.output == "approved")
        await t.appliance.shutdown()
    }

    @Test func deletingACoreCancelsItsRunsAndGivesBackTheirQueueRoom() async throws {
        let t = try await TestAppliance.make()
        let core = try await startedCore(t)
        let tenant = t.first.tenantID
        let (suspended, held) = try await suspendedAndHeld(t, core)
        #expect(await t.appliance.runtime.dispatcher.queued == 3)
        try await t.cores.delete(tenantID: tenant, id: core.id, ifMatch: nil, context: t.context(t.first))
        #expect(await t.appliance.runtime.dispatcher.queued == 0)
        let statuses = try await t.appliance.store.read { db in
            try db.query("SELECT id, status FROM mod_scaicore_runs WHERE core_id = ?", [.text(core.id)]).map { try $0.text("status") }
        }
        #expect(statuses.count == held.count + 1 && statuses.allSatisfy { $0 == "cancelled" })
        let checkpoint = try await t.appliance.runtime.checkpoints.get(tenantID: tenant, id: try #require(suspended.checkpointID))
        #expect(checkpoint.status == .cancelled)
        await t.appliance.shutdown()
    }

    @Test func aReplayedKeyGetsItsFirstAnswerEvenAfterTheCoreStopped() async throws {
        let t = try await TestAppliance.make()
        let core = try await startedCore(t)
        var submission = Submission(tenantID: t.first.tenantID, coreID: core.id, eventName: "ping", data: ["n": 1], source: .api)
        submission.idempotencyKey = "k-stop"
        let first = try await t.appliance.runtime.intake.accept(submission)
        _ = try await t.cores.perform(.stop, tenantID: t.first.tenantID, id: core.id, ifMatch: nil, context: t.context(t.first))
        let again = try await t.appliance.runtime.intake.accept(submission)
        #expect(again.eventID == first.eventID && again.replayed)
        submission.idempotencyKey = "k-new"
        #expect(await kind { _ = try await t.appliance.runtime.intake.accept(submission) } == .conflict)
        await t.appliance.shutdown()
    }

    @Test func aCoreWhoseIRNoLongerValidatesGoesToErrorAndTheOthersStart() async throws {
        let t = try await TestAppliance.make()
        let good = try await startedCore(t)
        let bad = try await t.cores.perform(
            .start, tenantID: t.first.tenantID,
            id: try await t.cores.create(CoreDraft(name: "bad", ir: Self.bundle), tenantID: t.first.tenantID, context: t.context(t.first)).id,
            ifMatch: nil, context: t.context(t.first))
        try await t.appliance.store.write { db in
            try db.execute("UPDATE mod_scaicore_cores SET ir_source = ? WHERE id = ?", [.text(#"{"ir_version": "1.0"}"#), .text(bad.id)])
        }
        t.appliance.abandonServingLock()
        let reopened = try TestAppliance.open(t.directory)
        try await reopened.migrate()
        try await reopened.start()
        #expect(try await reopened.cores.get(tenantID: t.first.tenantID, id: good.id).status == .running)
        #expect(try await reopened.cores.get(tenantID: t.first.tenantID, id: bad.id).status == .error)
        await reopened.shutdown()
    }

    @Test func checkpointListsAreNewestFirstAndPageWithoutGapsOrRepeats() async throws {
        let t = try await TestAppliance.make()
        let core = try await startedCore(t)
        let tenant = t.first.tenantID
        var opened: [String] = []
        for n in 0..<5 {
            let run = try await t.appliance.runtime.runs.wait(tenantID: tenant, id: try await post(t, core, "ask", ["n": .integer(Int64(n))]).runIDs[0], seconds: 20)
            opened.append(try #require(run.checkpointID))
        }
        var seen: [String] = []
        var cursor: String?
        repeat {
            let page = try await t.appliance.runtime.checkpoints.list(
                tenantID: tenant, statuses: [.open], assignees: [], coreID: core.id, before: cursor, limit: 2)
            seen += page.items.map(\.id)
            cursor = page.nextCursor
        } while cursor != nil
        #expect(seen == opened.reversed())
        await t.appliance.shutdown()
    }
}
