import CoreEngine
import Crypto
import Foundation
import Storage

/// What arrives for a Core: a posted or emitted event, a schedule's fire, or an invocation.
public struct Submission: Sendable {
    public var tenantID: String
    public var coreID: String
    /// The event name; for an invocation, the flow's name.
    public var eventName: String
    public var data: JSONValue
    public var source: EventRecord.Source
    public var sourceRunID: String? = nil
    /// The user whose request this is (nil for the system).
    public var sender: String? = nil
    public var idempotencyKey: String? = nil
    /// For an invocation: the flow to run (it must have an `api` trigger); for a schedule's fire,
    /// the flow whose schedule fired.
    public var flow: String? = nil
    /// For a schedule's fire: the trigger the run sees.
    public var scheduleTrigger: JSONValue? = nil
    /// Internal submissions (emits, schedules) are not refused when the queue is full: their
    /// cause was accepted already.
    public var bypassQueueLimit = false

    public init(tenantID: String, coreID: String, eventName: String, data: JSONValue, source: EventRecord.Source) {
        self.tenantID = tenantID
        self.coreID = coreID
        self.eventName = eventName
        self.data = data
        self.source = source
    }
}

/// The answer to a submission: durable on disk when given.
public struct Acceptance: Sendable, Equatable {
    public let eventID: String
    public let runIDs: [String]
    /// True when an earlier request with the same idempotency key is answered again.
    public let replayed: Bool
}

/// Durable event intake (docs/runtime.md, "Events"): checks the Core, writes the event and one
/// run per matching flow in a group-committed transaction, then hands the runs to the dispatcher.
public struct EventIntake: Sendable {
    let store: any RelationalStore
    let writer: GroupCommitWriter
    let engines: EngineRegistry
    let dispatcher: Dispatcher
    let broadcaster: EventBroadcaster
    let now: Now

    public func accept(_ submission: Submission) async throws -> Acceptance {
        // A retry of an accepted request gets its first answer even if the Core, its IR or the
        // queue changed since (the check inside the transaction covers concurrent retries).
        if let replay = try await earlierAnswer(submission) { return replay }
        let prepared = try await prepare(submission)
        let outcome: Result<Acceptance, ApplianceError>
        do {
            outcome = try await writer.write { db in try Self.write(db, prepared) }
        } catch {
            await abandon(prepared)
            throw error
        }
        return try await finish(prepared, outcome)
    }

    /// The answer given earlier to a request with the same idempotency key, if any; 422 when
    /// that request was a different one.
    private func earlierAnswer(_ submission: Submission) async throws -> Acceptance? {
        guard let key = submission.idempotencyKey else { return nil }
        let (tenantID, coreID) = (submission.tenantID, submission.coreID)
        guard let (earlier, earlierHash) = try await store.read({ db in
            try EventRepository.find(db, tenantID: tenantID, coreID: coreID, idempotencyKey: key)
        }) else { return nil }
        guard earlierHash == Self.requestHash(submission) else { throw Self.keyReused(key) }
        return Acceptance(eventID: earlier.id, runIDs: earlier.runIDs, replayed: true)
    }

    /// A submission checked and planned, room reserved, not yet written.
    struct Prepared: Sendable {
        let event: EventRecord
        let runs: [RunRecord]
        let reserved: Int
        let idempotencyKey: String?
        /// What identifies the request for its idempotency key (nil without a key).
        let requestHash: String?
        /// The rows' SQL arguments, encoded before the transaction: the shared writer only binds them.
        let eventRow: [SQLValue]
        let runRows: [[SQLValue]]

        init(event: EventRecord, runs: [RunRecord], reserved: Int, idempotencyKey: String?, requestHash: String?) {
            self.event = event
            self.runs = runs
            self.reserved = reserved
            self.idempotencyKey = idempotencyKey
            self.requestHash = requestHash
            eventRow = EventRepository.insertArguments(event, idempotencyKey: idempotencyKey, requestHash: requestHash)
            runRows = runs.map(RunRepository.insertArguments)
        }
    }

    /// Checks the Core, plans the runs and reserves room for them. Follow with ``write(_:_:)`` in a
    /// transaction, then ``finish(_:_:)`` — or ``abandon(_:)`` when the transaction failed.
    func prepare(_ submission: Submission) async throws -> Prepared {
        guard let live = await engines.instance(coreID: submission.coreID), live.tenantID == submission.tenantID else {
            throw try await notRunning(submission)
        }
        let at = now()
        let eventID = Identifier.make("evt", at: at)
        let runs = try plannedRuns(submission, live: live, eventID: eventID, at: at)
        let reserved = submission.bypassQueueLimit ? 0 : runs.count
        if reserved > 0 { try await dispatcher.reserve(reserved) }
        let event = EventRecord(
            id: eventID, tenantID: submission.tenantID, coreID: submission.coreID, name: submission.eventName, data: submission.data,
            source: submission.source, sourceRunID: submission.sourceRunID, sender: submission.sender,
            status: runs.isEmpty ? "unmatched" : "accepted", runIDs: runs.map(\.id), createdAt: Timestamp.string(at))
        return Prepared(event: event, runs: runs, reserved: reserved, idempotencyKey: submission.idempotencyKey,
                        requestHash: submission.idempotencyKey == nil ? nil : Self.requestHash(submission))
    }

    /// Writes a prepared submission — or finds the earlier one with the same idempotency key.
    static func write(_ db: any SQLConnection, _ prepared: Prepared) throws -> Result<Acceptance, ApplianceError> {
        let event = prepared.event
        if let key = prepared.idempotencyKey,
           let (earlier, earlierHash) = try EventRepository.find(db, tenantID: event.tenantID, coreID: event.coreID, idempotencyKey: key) {
            guard earlierHash == prepared.requestHash else { return .failure(keyReused(key)) }
            return .success(Acceptance(eventID: earlier.id, runIDs: earlier.runIDs, replayed: true))
        }
        try db.execute(EventRepository.insertSQL, prepared.eventRow)
        for row in prepared.runRows { try db.execute(RunRepository.insertSQL, row) }
        return .success(Acceptance(eventID: event.id, runIDs: event.runIDs, replayed: false))
    }

    /// After the transaction committed: new runs go to the dispatcher, listeners hear of the event.
    func finish(_ prepared: Prepared, _ outcome: Result<Acceptance, ApplianceError>) async throws -> Acceptance {
        switch outcome {
        case .failure(let error):
            await abandon(prepared)
            throw error
        case .success(let acceptance) where acceptance.replayed:
            await abandon(prepared)
            return acceptance
        case .success(let acceptance):
            await dispatcher.enqueue(prepared.runs, reserved: prepared.reserved)
            broadcaster.publish(prepared.event)
            return acceptance
        }
    }

    /// Gives back what ``prepare(_:)`` reserved.
    func abandon(_ prepared: Prepared) async {
        await dispatcher.release(prepared.reserved)
    }

    /// The runs a submission starts: one per flow whose trigger matches, in flow-name order.
    private func plannedRuns(_ submission: Submission, live: EngineInstance, eventID: String, at: Date) throws -> [RunRecord] {
        let bundle = live.engine.bundle
        let sender: JSONValue = submission.sender.map(JSONValue.string) ?? .null
        var planned: [(flow: String, trigger: JSONValue)] = []
        if let flow = submission.flow, let trigger = submission.scheduleTrigger {
            planned = [(flow, trigger)]
        } else if let flow = submission.flow {
            guard let definition = bundle.flows[flow], definition.triggers.contains(.api) else {
                throw ApplianceError(
                    .unprocessable, code: "flow_not_invocable",
                    bundle.flows[flow] == nil ? "the Core has no flow '\(flow)'" : "flow '\(flow)' has no api trigger; it cannot be invoked",
                    details: .object(["flow": .string(flow)]))
            }
            planned = [(flow, ["type": "api", "user": sender])]
        } else {
            for (name, flow) in bundle.flows.sorted(by: { $0.key < $1.key }) where flow.triggers.contains(.event(submission.eventName)) {
                planned.append((name, ["type": "event", "event": .string(submission.eventName), "event_id": .string(eventID), "user": sender]))
            }
        }
        let stamp = Timestamp.string(at)
        return try planned.map { flow, trigger in
            let entityKey: String?
            do throws(RunError) {
                entityKey = try live.engine.entityKey(flow: flow, input: submission.data)
            } catch {
                throw ApplianceError(.unprocessable, code: error.code, "flow '\(flow)': \(error.message)", details: .object(["flow": .string(flow)]))
            }
            return RunRecord(
                id: Identifier.make("run", at: at), tenantID: submission.tenantID, coreID: submission.coreID, flow: flow, eventID: eventID,
                trigger: trigger, input: submission.data, status: .queued, entityType: entityKey == nil ? nil : bundle.flows[flow]?.entity,
                entityKey: entityKey, startedBy: submission.sender, output: nil, error: nil, checkpointID: nil, resumePending: false,
                wakeAt: nil, createdAt: stamp, updatedAt: stamp, finishedAt: nil)
        }
    }

    private func notRunning(_ submission: Submission) async throws -> ApplianceError {
        let core = try await store.read { db in try CoreRepository.find(db, tenantID: submission.tenantID, id: submission.coreID) }
        guard let core else { return ApplianceError.notFound("Core", id: submission.coreID) }
        return ApplianceError(
            .conflict, code: "core_not_running", "the Core is \(core.status.rawValue); it accepts events only while running or paused",
            details: .object(["status": .string(core.status.rawValue)]))
    }

    /// What makes two requests "the same" for an idempotency key: name, flow and data.
    static func requestHash(_ submission: Submission) -> String {
        var hasher = SHA256()
        hasher.update(data: Array(submission.eventName.utf8) + [0] + Array((submission.flow ?? "").utf8) + [0])
        hasher.update(data: submission.data.encodedBytes())
        return Hex.encode(hasher.finalize().prefix(16))
    }

    static func keyReused(_ key: String) -> ApplianceError {
        ApplianceError(
            .unprocessable, code: "idempotency_key_reused",
            "Idempotency-Key '\(key)' was used before with a different request; use a new key for a new request",
            details: .object(["idempotency_key": .string(key)]))
    }
}
