import Appliance
import CoreEngine

/// JSON forms of runs, events, checkpoints and notifications (docs/runtime.md).
enum RuntimeViews {
    static func run(_ run: RunRecord, journal: [JSONValue]? = nil) -> JSONValue {
        var fields: [String: JSONValue] = [
            "id": .string(run.id), "core_id": .string(run.coreID), "flow": .string(run.flow), "status": .string(run.status.rawValue),
            "trigger": run.trigger, "input": run.input, "output": run.output ?? .null, "error": run.error ?? .null,
            "entity": run.entityType.map { ["type": .string($0), "key": .string(run.entityKey ?? "")] } ?? .null,
            "event_id": optional(run.eventID), "started_by": optional(run.startedBy),
            "checkpoint_id": run.status == .suspended ? optional(run.checkpointID) : .null,
            "wake_at": run.status == .sleeping ? optional(run.wakeAt) : .null,
            "created_at": .string(run.createdAt), "updated_at": .string(run.updatedAt), "finished_at": optional(run.finishedAt),
        ]
        if let journal { fields["journal"] = .array(journal) }
        return .object(fields)
    }

    static func event(_ event: EventRecord) -> JSONValue {
        [
            "id": .string(event.id), "core_id": .string(event.coreID), "event_name": .string(event.name), "data": event.data,
            "source": .string(event.source.rawValue), "source_run_id": optional(event.sourceRunID), "status": .string(event.status),
            "run_ids": .array(event.runIDs.map(JSONValue.string)), "created_at": .string(event.createdAt),
        ]
    }

    static func checkpoint(_ c: CheckpointRecord, baseURL: String) -> JSONValue {
        var base = baseURL
        while base.hasSuffix("/") { base.removeLast() }
        return [
            "id": .string(c.id), "core_id": .string(c.coreID), "run_id": .string(c.runID), "step": .string(c.step),
            "kind": .string(c.kind.rawValue), "title": .string(c.title), "prompt": optional(c.prompt), "schema": c.schema ?? .null,
            "assignee": .string(c.assignee), "escalate_to": optional(c.escalateTo), "escalated": .bool(c.escalated),
            "on_timeout": .string(c.onTimeout.rawValue), "status": .string(c.status.rawValue),
            "required_approvals": .integer(Int64(c.requiredApprovals)), "approvals": .array(c.approvals),
            "resolution": c.resolution ?? .null, "resolved_by": c.resolvedBy.map { .array($0.map(JSONValue.string)) } ?? .null,
            "expires_at": optional(c.expiresAt), "created_at": .string(c.createdAt), "updated_at": .string(c.updatedAt),
            "resolved_at": optional(c.resolvedAt), "version": .integer(c.version),
            "url": .string("\(base)\(moduleAPIPrefix)/checkpoints/\(c.id)"),
        ]
    }

    static func notification(_ n: NotificationRecord) -> JSONValue {
        [
            "id": .string(n.id), "core_id": .string(n.coreID), "checkpoint_id": optional(n.checkpointID), "kind": .string(n.kind),
            "recipient": .string(n.recipient), "to": .array(n.to.map(JSONValue.string)), "subject": .string(n.subject),
            "body": .string(n.body), "status": .string(n.status), "attempts": .integer(Int64(n.attempts)),
            "last_error": optional(n.lastError), "created_at": .string(n.createdAt), "sent_at": optional(n.sentAt),
        ]
    }

    static func page(_ items: [JSONValue], next: String?) -> JSONValue {
        ["items": .array(items), "next_cursor": next.map { .string(Pagination.encodeCursor($0)) } ?? .null]
    }

    private static func optional(_ text: String?) -> JSONValue { text.map(JSONValue.string) ?? .null }
}
