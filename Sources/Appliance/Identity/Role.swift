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
}

/// The permission matrix: the one place that decides whether a role may do something.
/// docs/security.md shows the same table; a test keeps the two in step.
public enum AccessPolicy {
    public static let matrix: [Role: Set<Permission>] = [
        .admin: Set(Permission.allCases),
        .developer: [.coresRead, .coresWrite, .coresOperate],
        .`operator`: [.coresRead, .coresOperate],
        .approver: [.coresRead],
        .viewer: [.coresRead],
    ]

    public static func allows(_ role: Role, _ permission: Permission) -> Bool {
        matrix[role]?.contains(permission) ?? false
    }
}

/// The authenticated caller of a request.
public struct Principal: Sendable, Equatable {
    public let tenantID: String
    public let userID: String
    public let role: Role
    public let tokenID: String

    public init(tenantID: String, userID: String, role: Role, tokenID: String) {
        self.tenantID = tenantID
        self.userID = userID
        self.role = role
        self.tokenID = tokenID
    }

    /// Throws 403 unless the principal's role grants `permission`.
    public func require(_ permission: Permission) throws(ApplianceError) {
        guard AccessPolicy.allows(role, permission) else {
            throw ApplianceError(
                .forbidden, code: "forbidden", "role '\(role.rawValue)' lacks permission '\(permission.rawValue)'",
                details: .object(["role": .string(role.rawValue), "permission": .string(permission.rawValue)]))
        }
    }
}
