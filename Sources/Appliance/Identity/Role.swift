/// The roles an API token can carry. A token fixes one tenant, one user and one role.
public enum Role: String, Sendable, CaseIterable, Codable {
    case admin, developer, `operator`, approver, viewer
}

/// What a request may do. Each route names exactly one permission.
public enum Permission: String, Sendable, CaseIterable {
    /// Read Cores, their IR and their status.
    case coresRead = "cores.read"
    /// Create, change and delete Cores.
    case coresWrite = "cores.write"
    /// Start, stop, pause, resume and restart Cores.
    case coresOperate = "cores.operate"
    /// Read the audit log.
    case auditRead = "audit.read"
    /// Post events to Cores and invoke their flows.
    case eventsWrite = "events.write"
    /// Read accepted events and follow the live event stream.
    case eventsRead = "events.read"
    /// Read runs and their journals.
    case runsRead = "runs.read"
    /// Cancel runs.
    case runsOperate = "runs.operate"
    /// Read checkpoints (the queue).
    case checkpointsRead = "checkpoints.read"
    /// Decide on and reassign checkpoints (as their assignee; admins on any).
    case checkpointsResolve = "checkpoints.resolve"
    /// Read notifications.
    case notificationsRead = "notifications.read"
    /// Read who the token is (`GET /me`).
    case selfRead = "self.read"
}

/// The permission matrix: the one place that decides whether a role may do something.
/// docs/security.md shows the same table; a test keeps the two in step.
public enum AccessPolicy {
    public static let matrix: [Role: Set<Permission>] = [
        .admin: Set(Permission.allCases),
        .developer: [.coresRead, .coresWrite, .coresOperate, .eventsWrite, .eventsRead, .runsRead, .runsOperate,
                     .checkpointsRead, .checkpointsResolve, .notificationsRead, .selfRead],
        .`operator`: [.coresRead, .coresOperate, .eventsWrite, .eventsRead, .runsRead, .runsOperate, .checkpointsRead,
                      .checkpointsResolve, .notificationsRead, .selfRead],
        .approver: [.coresRead, .runsRead, .checkpointsRead, .checkpointsResolve, .selfRead],
        .viewer: [.coresRead, .eventsRead, .runsRead, .checkpointsRead, .selfRead],
    ]

    public static func allows(_ role: Role, _ permission: Permission) -> Bool {
        matrix[role]?.contains(permission) ?? false
    }
}
