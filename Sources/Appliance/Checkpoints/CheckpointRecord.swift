import CoreEngine

/// Where a checkpoint stands.
public enum CheckpointStatus: String, Sendable, CaseIterable {
    case open, resolved, expired, cancelled
}

/// A human checkpoint, as stored in `mod_scaicore_checkpoints`.
public struct CheckpointRecord: Sendable, Equatable {
    public let id: String
    public let tenantID: String
    public let coreID: String
    public let runID: String
    /// The step's id (`approval`) and its journal key (`lines[2]/approval`).
    public let step: String
    public let journalKey: String
    public let kind: CheckpointKind
    public let title: String
    public let prompt: String?
    public let schema: JSONValue?
    /// `user:<id>` or `role:<role>` (a `default` assignee is resolved when the checkpoint opens).
    public var assignee: String
    public var escalateTo: String?
    public var escalated: Bool
    public var reminded: Bool
    public let onTimeout: TimeoutOutcome
    public let timeoutSeconds: Int?
    public let requiredApprovals: Int
    /// Decisions so far: `[{by, decision, comment, at}]`.
    public var approvals: [JSONValue]
    /// The user who started the run (may not approve it).
    public let runStartedBy: String?
    public var status: CheckpointStatus
    public let stateKey: String
    public var expiresAt: String?
    public var resolvedBy: [String]?
    public var resolution: JSONValue?
    public let createdAt: String
    public var updatedAt: String
    public var resolvedAt: String?
    public var version: Int64
}
