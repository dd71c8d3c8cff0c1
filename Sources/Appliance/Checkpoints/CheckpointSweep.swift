import CoreEngine
import Foundation
import Storage

/// The checkpoint sweep (docs/runtime.md, "Expiry, escalation and reminders"): each overdue
/// checkpoint is failed, continued or escalated as its step says, and reminders go out before
/// deadlines. Each action is one transaction conditional on the checkpoint's version, so a
/// restarted or concurrent sweep never acts twice.
extension CheckpointService {
    /// What one sweep did.
    public struct SweepReport: Sendable, Equatable {
        public var expired = 0
        public var escalated = 0
        public var reminded = 0
    }

    /// Runs one sweep at the current time. `remindBefore` nil sends no reminders.
    public func sweep(remindBefore: Duration?) async throws -> SweepReport {
        var report = SweepReport()
        let at = now()
        let stamp = Timestamp.string(at)
        let overdue = try await store.read { db in try CheckpointRepository.overdue(db, at: stamp, limit: 500) }
        for checkpoint in overdue {
            if try await expire(checkpoint, at: at) { report.expired += 1 } else { report.escalated += 1 }
        }
        if let remindBefore {
            let horizon = Timestamp.string(at.addingTimeInterval(TimeInterval(remindBefore.components.seconds)))
            let due = try await store.read { db in try CheckpointRepository.needingReminder(db, at: stamp, horizon: horizon, limit: 500) }
            for checkpoint in due where try await remind(checkpoint, at: at) { report.reminded += 1 }
        }
        return report
    }

    /// Applies the step's `on_timeout`; answers true when the checkpoint ended, false when it was escalated.
    private func expire(_ read: CheckpointRecord, at: Date) async throws -> Bool {
        let stamp = Timestamp.string(at)
        let settings = notifications
        let escalate = read.onTimeout == .escalate && !read.escalated && read.escalateTo != nil
        var checkpoint = read
        checkpoint.version += 1
        checkpoint.updatedAt = stamp
        let system = ActionContext.system(reason: "checkpoint deadline \(read.expiresAt ?? "") passed")
        if escalate, let target = read.escalateTo {
            checkpoint.assignee = target
            checkpoint.escalated = true
            checkpoint.reminded = false
            checkpoint.expiresAt = Timestamp.string(at.addingTimeInterval(TimeInterval(read.timeoutSeconds ?? 0)))
            let checkpoint = checkpoint
            try await writer.write { db in
                guard try CheckpointRepository.update(db, checkpoint) else { return }
                try AuditLog.record(db, tenantID: checkpoint.tenantID, context: system, action: "checkpoint.escalate", targetType: "checkpoint",
                                    targetID: checkpoint.id, details: ["from": .string(read.assignee), "to": .string(target)], at: stamp)
                try NotificationOutbox.enqueue(db, checkpoint, kind: .escalated, settings: settings, at: at)
            }
            return false
        }
        checkpoint.status = .expired
        checkpoint.resolvedAt = stamp
        let continues = read.onTimeout == .continue
        if continues {
            checkpoint.resolution = ["decision": "timed_out", "approved": false, "data": .object([:]), "comment": .null, "by": .array([]), "timed_out": true]
        }
        let expired = checkpoint
        let outcome: (resumed: RunRecord?, ended: RunRecord?) = try await writer.write { db in
            let checkpoint = expired
            guard try CheckpointRepository.update(db, checkpoint) else { return (nil, nil) }
            try AuditLog.record(db, tenantID: checkpoint.tenantID, context: system, action: "checkpoint.expire", targetType: "checkpoint",
                                targetID: checkpoint.id, details: ["on_timeout": .string(read.onTimeout.rawValue), "run_id": .string(read.runID)], at: stamp)
            if continues, let resolution = checkpoint.resolution {
                return (try Self.queueResume(db, checkpoint, resolution: resolution, at: at), nil)
            }
            let error: JSONValue = [
                "code": "checkpoint_timeout", "message": .string("checkpoint '\(read.step)' was not resolved by \(read.expiresAt ?? "its deadline")"),
                "step": .string(read.journalKey),
            ]
            guard try RunRepository.finish(db, id: read.runID, status: .failed, output: nil, error: error, at: stamp) else { return (nil, nil) }
            return (nil, try RunRepository.find(db, tenantID: read.tenantID, id: read.runID))
        }
        if let resumed = outcome.resumed { await dispatcher.resume(resumed) }
        if let ended = outcome.ended { await dispatcher.ended(ended) }
        return true
    }

    private func remind(_ read: CheckpointRecord, at: Date) async throws -> Bool {
        var checkpoint = read
        checkpoint.reminded = true
        checkpoint.version += 1
        checkpoint.updatedAt = Timestamp.string(at)
        let settings = notifications
        let reminded = checkpoint
        return try await writer.write { db in
            let checkpoint = reminded
            guard try CheckpointRepository.update(db, checkpoint) else { return false }
            try NotificationOutbox.enqueue(db, checkpoint, kind: .reminder, settings: settings, at: at)
            return true
        }
    }
}
