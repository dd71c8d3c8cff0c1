import CoreEngine

/// Where a run stands (docs/runtime.md, "Runs").
public enum RunStatus: String, Sendable, CaseIterable {
    case queued, running, suspended, sleeping, completed, failed, cancelled

    /// A run in one of these statuses will never act again.
    public var isFinal: Bool { self == .completed || self == .failed || self == .cancelled }
}

/// One run of a flow, as stored in `mod_scaicore_runs`.
public struct RunRecord: Sendable, Equatable {
    public let id: String
    public let tenantID: String
    public let coreID: String
    public let flow: String
    public let eventID: String?
    /// What started the run, as the program sees it in `trigger`.
    public let trigger: JSONValue
    public let input: JSONValue
    public var status: RunStatus
    public let entityType: String?
    public let entityKey: String?
    /// The user whose request started the run (nil for schedules and system events).
    public let startedBy: String?
    public var output: JSONValue?
    /// `{code, message, step}` of a failed run.
    public var error: JSONValue?
    /// The open checkpoint of a suspended run.
    public var checkpointID: String?
    /// A resolved checkpoint or a fired timer waits to be resumed from the stored state.
    public var resumePending: Bool
    public var wakeAt: String?
    public let createdAt: String
    public var updatedAt: String
    public var finishedAt: String?
    /// How the run spells its journal keys (`journal_keys`): runs an earlier version started
    /// keep the unescaped keys they journaled (docs/runtime.md, "Upgrades").
    public var journalKeys: JournalKeyScheme = .current
}

/// An entity queue's name: runs with the same one run one at a time (docs/ir.md, "Entities").
public struct EntityRef: Sendable, Hashable {
    public let coreID: String
    public let type: String
    public let key: String
}

extension RunRecord {
    var entity: EntityRef? {
        guard let entityType, let entityKey else { return nil }
        return EntityRef(coreID: coreID, type: entityType, key: entityKey)
    }
}
