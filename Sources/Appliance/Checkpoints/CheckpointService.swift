import CoreEngine
import Foundation
import Storage

/// Human checkpoints (docs/runtime.md, "Checkpoints"): opening one when a run suspends, the
/// queue, resolving with the approval policy, reassigning, and the sweep's expiry, escalation
/// and reminders. Every change is one transaction conditional on the version it read.
public struct CheckpointService: Sendable {
    let store: any RelationalStore
    let writer: GroupCommitWriter
    let dispatcher: Dispatcher
    let objects: InternalObjects
    let notifications: NotificationSettings
    let now: Now

    // MARK: opening

    /// Saves a suspended run: the state blob first, then the checkpoint row, the run's status and
    /// the notification in one transaction — never a row without its blob. The checkpoint's id is
    /// derived from the run and the step, so a run repeated after a crash opens the same one.
    /// Answers false, opening nothing, when the run was cancelled meanwhile.
    func open(run: RunRecord, live: EngineInstance, request: CheckpointRequest, state: EngineState) async throws -> Bool {
        let at = now()
        let id = Identifier.derived("chk", from: run.id + "\n" + request.key)
        try await objects.putCheckpointState(tenantID: run.tenantID, coreID: run.coreID, checkpointID: id, state: state.encoded())
        let fallback = Self.defaultAssignee(live.runtimeConfig)
        let stamp = Timestamp.string(at)
        let checkpoint = CheckpointRecord(
            id: id, tenantID: run.tenantID, coreID: run.coreID, runID: run.id,
            step: request.stepID, journalKey: request.key,
            kind: request.kind, title: request.title, prompt: request.prompt, schema: request.schema,
            assignee: Self.resolve(request.assignee, fallback: fallback), escalateTo: request.escalateTo.map { Self.resolve($0, fallback: fallback) },
            escalated: false, reminded: false, onTimeout: request.onTimeout, timeoutSeconds: request.timeoutSeconds,
            requiredApprovals: max(1, request.requiredApprovals), approvals: [], runStartedBy: run.startedBy, status: .open,
            stateKey: InternalObjects.checkpointKey(tenantID: run.tenantID, coreID: run.coreID, checkpointID: id),
            expiresAt: request.timeoutSeconds.map { Timestamp.string(at.addingTimeInterval(TimeInterval($0))) },
            resolvedBy: nil, resolution: nil, createdAt: stamp, updatedAt: stamp, resolvedAt: nil, version: 1)
        let settings = notifications
        return try await writer.write { db in
            guard try RunRepository.suspend(db, id: run.id, checkpointID: id, at: stamp) else { return false }
            if try CheckpointRepository.find(db, id: id) == nil {
                try CheckpointRepository.insert(db, checkpoint)
                try NotificationOutbox.enqueue(db, checkpoint, kind: .opened, settings: settings, at: at)
            }
            return true
        }
    }

    /// The Core's `runtime_config.default_assignee` when it is a valid assignee, else `role:admin`.
    static func defaultAssignee(_ runtimeConfig: JSONValue) -> String {
        guard let text = runtimeConfig.objectValue?["default_assignee"]?.stringValue, Assignee(text) != nil else { return "role:admin" }
        return text
    }

    /// A rendered assignee: valid forms stay, `default` (and anything unusable) becomes the fallback.
    static func resolve(_ rendered: String, fallback: String) -> String {
        Assignee(rendered) == nil ? fallback : rendered
    }

    // MARK: reading

    public func get(tenantID: String, id: String) async throws -> CheckpointRecord {
        guard let checkpoint = try await store.read({ db in try CheckpointRepository.find(db, tenantID: tenantID, id: id) }) else {
            throw ApplianceError.notFound("checkpoint", id: id)
        }
        return checkpoint
    }

    /// The tenant's checkpoints, newest first. `assignedTo` restricts to what the principal may act on.
    public func list(
        tenantID: String, statuses: [CheckpointStatus], assignees: [String], coreID: String?, before cursor: String?, limit: Int
    ) async throws -> Page<CheckpointRecord> {
        let filter = CheckpointRepository.Filter(statuses: statuses, assignees: assignees, coreID: coreID)
        let items = try await store.read { db in
            try CheckpointRepository.list(db, tenantID: tenantID, filter: filter, before: cursor, limit: limit + 1)
        }
        let page = Array(items.prefix(limit))
        return Page(items: page, nextCursor: items.count > limit ? page.last.map(CheckpointRepository.cursor) : nil)
    }

    // MARK: resolving

    /// A decision on an open checkpoint (docs/runtime.md): checked, recorded, and — when the
    /// approval policy is met — the checkpoint resolves, its resolution is journaled for the run
    /// and the run is queued to resume. All or nothing.
    public func decide(tenantID: String, id: String, decision: Decision, principal: Principal, context: ActionContext) async throws -> CheckpointRecord {
        let at = now()
        let stamp = Timestamp.string(at)
        let (checkpoint, resumed) = try await writer.write { db -> (CheckpointRecord, RunRecord?) in
            guard var checkpoint = try CheckpointRepository.find(db, tenantID: tenantID, id: id) else {
                throw ApplianceError.notFound("checkpoint", id: id)
            }
            try Self.checkOpen(checkpoint)
            try Self.checkAssignee(checkpoint, principal, action: "resolve")
            try decision.check(against: checkpoint)
            if decision.approves, checkpoint.runStartedBy == principal.userID {
                throw ApplianceError(
                    .forbidden, code: "self_approval_forbidden", "you started this run, so you may not approve it; another assignee must",
                    details: .object(["checkpoint_id": .string(id)]))
            }
            if checkpoint.approvals.contains(where: { $0.objectValue?["by"]?.stringValue == principal.userID }) {
                throw ApplianceError(.conflict, code: "already_decided", "you have already decided on this checkpoint; each approver decides once",
                                     details: .object(["checkpoint_id": .string(id)]))
            }
            checkpoint.approvals.append([
                "by": .string(principal.userID), "decision": .string(decision.decision), "comment": decision.comment.map(JSONValue.string) ?? .null,
                "at": .string(stamp),
            ])
            let approvers = checkpoint.approvals.filter { $0.objectValue?["decision"]?.stringValue != "rejected" }
            let resolves = !decision.approves || checkpoint.kind == .input || approvers.count >= checkpoint.requiredApprovals
            checkpoint.version += 1
            checkpoint.updatedAt = stamp
            var resumed: RunRecord?
            if resolves {
                let by = decision.approves ? approvers.compactMap { $0.objectValue?["by"]?.stringValue } : [principal.userID]
                let comments = checkpoint.approvals.compactMap { $0.objectValue?["comment"]?.stringValue }
                checkpoint.status = .resolved
                checkpoint.resolvedBy = by
                checkpoint.resolvedAt = stamp
                checkpoint.resolution = [
                    "decision": .string(decision.decision), "approved": .bool(decision.approves), "data": decision.data,
                    "comment": decision.comment.map(JSONValue.string) ?? comments.last.map(JSONValue.string) ?? .null,
                    "by": .array(by.map(JSONValue.string)), "timed_out": false,
                ]
            }
            guard try CheckpointRepository.update(db, checkpoint) else { throw Self.lostRace(id) }
            try AuditLog.record(
                db, tenantID: tenantID, context: context, action: "checkpoint.decide", targetType: "checkpoint", targetID: id,
                details: ["decision": .string(decision.decision), "run_id": .string(checkpoint.runID)], at: stamp)
            if resolves, let resolution = checkpoint.resolution {
                resumed = try Self.queueResume(db, checkpoint, resolution: resolution, at: at)
                try AuditLog.record(
                    db, tenantID: tenantID, context: context, action: "checkpoint.resolve", targetType: "checkpoint", targetID: id,
                    details: ["decision": .string(decision.decision), "run_id": .string(checkpoint.runID)], at: stamp)
            }
            return (checkpoint, resumed)
        }
        if let resumed { await dispatcher.resume(resumed) }
        return checkpoint
    }

    /// Gives the checkpoint to another assignee (an admin or a current assignee may); audited, notified.
    public func reassign(tenantID: String, id: String, to assignee: String, comment: String?, principal: Principal, context: ActionContext) async throws -> CheckpointRecord {
        guard Assignee(assignee) != nil else {
            throw ApplianceError.invalidRequest([FieldProblem("assignee", "expected user:<user id> or role:<role> (\(Role.allCases.map(\.rawValue).joined(separator: ", ")))")])
        }
        let at = now()
        let settings = notifications
        return try await writer.write { db in
            guard var checkpoint = try CheckpointRepository.find(db, tenantID: tenantID, id: id) else {
                throw ApplianceError.notFound("checkpoint", id: id)
            }
            try Self.checkOpen(checkpoint)
            try Self.checkAssignee(checkpoint, principal, action: "reassign")
            let previous = checkpoint.assignee
            checkpoint.assignee = assignee
            checkpoint.reminded = false
            checkpoint.version += 1
            checkpoint.updatedAt = Timestamp.string(at)
            guard try CheckpointRepository.update(db, checkpoint) else { throw Self.lostRace(id) }
            var details: [String: JSONValue] = ["from": .string(previous), "to": .string(assignee)]
            if let comment { details["comment"] = .string(comment) }
            try AuditLog.record(db, tenantID: tenantID, context: context, action: "checkpoint.reassign", targetType: "checkpoint",
                                targetID: id, details: details, at: checkpoint.updatedAt)
            try NotificationOutbox.enqueue(db, checkpoint, kind: .reassigned, settings: settings, at: at)
            return checkpoint
        }
    }

    /// Writes the resolution to the run's journal and queues the run to resume; answers the run.
    static func queueResume(_ db: any SQLConnection, _ checkpoint: CheckpointRecord, resolution: JSONValue, at: Date) throws -> RunRecord? {
        let stamp = Timestamp.string(at)
        let sequence = try RunRepository.nextJournalSequence(db, runID: checkpoint.runID)
        try RunRepository.record(
            db, tenantID: checkpoint.tenantID, runID: checkpoint.runID, key: checkpoint.journalKey, result: resolution,
            startedAt: checkpoint.createdAt, recordedAt: stamp,
            durationMS: Int64(max(0, at.timeIntervalSince(Timestamp.date(checkpoint.createdAt) ?? at) * 1000)), sequence: sequence)
        guard try RunRepository.markResumable(db, id: checkpoint.runID, from: .suspended, at: stamp) else { return nil }
        return try RunRepository.find(db, tenantID: checkpoint.tenantID, id: checkpoint.runID)
    }

    static func checkOpen(_ checkpoint: CheckpointRecord) throws {
        guard checkpoint.status == .open else {
            throw ApplianceError(.conflict, code: "checkpoint_not_open", "the checkpoint is \(checkpoint.status.rawValue); only open checkpoints can change",
                                 details: .object(["status": .string(checkpoint.status.rawValue)]))
        }
    }

    static func checkAssignee(_ checkpoint: CheckpointRecord, _ principal: Principal, action: String) throws {
        guard principal.role == .admin || Assignee(checkpoint.assignee)?.includes(principal) == true else {
            throw ApplianceError(.forbidden, code: "not_assignee", "only the assignee (\(checkpoint.assignee)) or an admin may \(action) this checkpoint",
                                 details: .object(["assignee": .string(checkpoint.assignee)]))
        }
    }

    static func lostRace(_ id: String) -> ApplianceError {
        ApplianceError(.conflict, code: "version_conflict", "checkpoint '\(id)' was changed meanwhile; read it again and retry")
    }
}

/// One user's decision on a checkpoint, as sent to `POST /checkpoints/{id}/resolve`.
public struct Decision: Sendable {
    public let decision: String
    public let data: JSONValue
    public let comment: String?

    public init(decision: String, data: JSONValue, comment: String?) {
        self.decision = decision
        self.data = data
        self.comment = comment
    }

    /// Reads the decision's fields of a resolve body, which may have others; the caller finishes
    /// the reader (one 400 naming every bad or unknown field).
    public init(reading reader: inout FieldReader) {
        let decision = reader.string("decision", required: true, maxLength: 32)
        let data = reader.object("data")
        let comment = reader.string("comment", maxLength: 4000)
        self.init(decision: decision ?? "", data: data ?? .object([:]), comment: comment)
    }

    var approves: Bool { decision == "approved" || decision == "submitted" }

    /// 422 unless the decision fits the checkpoint's kind and, when submitted, its schema.
    func check(against checkpoint: CheckpointRecord) throws {
        let allowed = checkpoint.kind == .approval ? ["approved", "rejected"] : ["submitted", "rejected"]
        guard allowed.contains(decision) else {
            throw Self.invalid(checkpoint, [FieldProblem("decision", "a\(checkpoint.kind == .input ? "n" : "") \(checkpoint.kind.rawValue) checkpoint takes \(allowed.joined(separator: " or ")), not '\(decision)'")])
        }
        if decision == "submitted", let schema = checkpoint.schema {
            let problems = SchemaCheck.problems(data, against: schema)
            if !problems.isEmpty { throw Self.invalid(checkpoint, problems) }
        }
    }

    private static func invalid(_ checkpoint: CheckpointRecord, _ problems: [FieldProblem]) -> ApplianceError {
        ApplianceError(
            .unprocessable, code: "invalid_resolution",
            "the resolution does not fit the checkpoint: \(problems.map { "\($0.path): \($0.problem)" }.joined(separator: "; "))",
            details: .object(["problems": .array(problems.map(\.json))]))
    }
}
