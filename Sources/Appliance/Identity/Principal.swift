import CoreEngine

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
