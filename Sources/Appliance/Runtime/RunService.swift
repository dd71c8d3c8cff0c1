import CoreEngine
import Foundation
import Storage

/// Reading runs, waiting for them, cancelling them (docs/runtime.md, "Runs").
public struct RunService: Sendable {
    let store: any RelationalStore
    let writer: GroupCommitWriter
    let dispatcher: Dispatcher
    let intake: EventIntake

    /// A run as served: the stored row, `running` while it executes, and its journal when asked.
    public func get(tenantID: String, id: String, withJournal: Bool = false) async throws -> (RunRecord, [JSONValue]?) {
        let found = try await store.read { db -> (RunRecord, [JSONValue]?)? in
            guard let run = try RunRepository.find(db, tenantID: tenantID, id: id) else { return nil }
            return (run, withJournal ? try RunRepository.journal(db, tenantID: tenantID, runID: id) : nil)
        }
        guard let found else { throw ApplianceError.notFound("run", id: id) }
        var (run, journal) = found
        if run.status == .queued, await dispatcher.isExecuting(id) { run.status = .running }
        return (run, journal)
    }

    public func list(tenantID: String, coreID: String, statuses: [RunStatus], before cursor: String?, limit: Int) async throws -> Page<RunRecord> {
        let items = try await store.read { db -> [RunRecord]? in
            guard try CoreRepository.find(db, tenantID: tenantID, id: coreID) != nil else { return nil }
            return try RunRepository.list(db, tenantID: tenantID, coreID: coreID, statuses: statuses, before: cursor, limit: limit + 1)
        }
        guard let items else { throw ApplianceError.notFound("Core", id: coreID) }
        var page = Array(items.prefix(limit))
        for index in page.indices where page[index].status == .queued {
            if await dispatcher.isExecuting(page[index].id) { page[index].status = .running }
        }
        return Page(items: page, nextCursor: items.count > limit ? page.last?.id : nil)
    }

    public func events(tenantID: String, coreID: String, before cursor: String?, limit: Int) async throws -> Page<EventRecord> {
        let items = try await store.read { db -> [EventRecord]? in
            guard try CoreRepository.find(db, tenantID: tenantID, id: coreID) != nil else { return nil }
            return try EventRepository.list(db, tenantID: tenantID, coreID: coreID, before: cursor, limit: limit + 1)
        }
        guard let items else { throw ApplianceError.notFound("Core", id: coreID) }
        let page = Array(items.prefix(limit))
        return Page(items: page, nextCursor: items.count > limit ? page.last?.id : nil)
    }

    /// Waits up to `seconds` for the run to finish or suspend at a checkpoint (a sleeping run is
    /// still under way); answers it as it then is.
    public func wait(tenantID: String, id: String, seconds: Int) async throws -> RunRecord {
        try await wait(tenantID: tenantID, id: id, seconds: seconds, withJournal: false).0
    }

    /// ``wait(tenantID:id:seconds:)``, answering the journal too when asked (read with the run).
    public func wait(tenantID: String, id: String, seconds: Int, withJournal: Bool) async throws -> (RunRecord, [JSONValue]?) {
        let deadline = ContinuousClock.now + .seconds(seconds)
        // The tenant's own run, or 404 at once: another tenant learns nothing by waiting.
        _ = try await get(tenantID: tenantID, id: id)
        while true {
            let remaining = deadline - .now
            if remaining > .zero { await dispatcher.waitForRun(id, timeout: remaining) }
            let found = try await get(tenantID: tenantID, id: id, withJournal: withJournal)
            let run = found.0
            if run.status.isFinal || run.status == .suspended || ContinuousClock.now >= deadline { return found }
            // Asleep, or queued behind its entity or its Core: look again shortly.
            try await Task.sleep(for: min(.milliseconds(100), deadline - .now))
        }
    }

    /// Cancels a run that has not finished; its open checkpoint is cancelled with it. Audited.
    public func cancel(tenantID: String, id: String, context: ActionContext) async throws -> RunRecord {
        let stamp = Timestamp.string(Date())
        let (before, after) = try await writer.write { db -> (RunRecord, RunRecord) in
            guard let run = try RunRepository.find(db, tenantID: tenantID, id: id) else { throw ApplianceError.notFound("run", id: id) }
            guard !run.status.isFinal else {
                throw ApplianceError(.conflict, code: "run_finished", "the run is \(run.status.rawValue); only unfinished runs can be cancelled",
                                     details: .object(["status": .string(run.status.rawValue)]))
            }
            let error: JSONValue = ["code": "cancelled", "message": .string("cancelled by \(context.actor)"), "step": .null]
            try RunRepository.finish(db, id: id, status: .cancelled, output: nil, error: error, at: stamp)
            if let checkpointID = run.checkpointID, var checkpoint = try CheckpointRepository.find(db, tenantID: tenantID, id: checkpointID),
               checkpoint.status == .open {
                checkpoint.status = .cancelled
                checkpoint.version += 1
                checkpoint.updatedAt = stamp
                checkpoint.resolvedAt = stamp
                _ = try CheckpointRepository.update(db, checkpoint)
            }
            try AuditLog.record(db, tenantID: tenantID, context: context, action: "run.cancel", targetType: "run", targetID: id,
                                details: ["status": .string(run.status.rawValue)], at: stamp)
            guard let after = try RunRepository.find(db, tenantID: tenantID, id: id) else { throw ApplianceError.notFound("run", id: id) }
            return (run, after)
        }
        // A waiting run holds its entity's turn without executing: give the turn on now.
        if before.status == .suspended || before.status == .sleeping { await dispatcher.ended(before) }
        return after
    }
}
