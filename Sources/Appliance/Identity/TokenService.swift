import Crypto
import Foundation
import Storage

/// An API token as listed (never with its secret).
public struct APIToken: Sendable, Equatable {
    public let id: String
    public let tenantID: String
    public let userID: String
    public let role: Role
    public let name: String
    public let createdAt: String
    public let expiresAt: String?
    public let revokedAt: String?
}

/// Issues, verifies and revokes bearer tokens. Only a SHA-256 hash of each token is stored;
/// the token itself is shown once, when it is issued.
public struct TokenService: Sendable {
    static let tokenPrefix = "scai_"
    let store: any RelationalStore
    let tenants: TenantRepository
    let now: Now

    public init(store: any RelationalStore, now: @escaping Now = { Date() }) {
        self.store = store
        self.tenants = TenantRepository(store: store, now: now)
        self.now = now
    }

    /// Issues a token for user `userName` (created if needed) in the tenant. Answers the token
    /// record and the secret token text, which is not stored and cannot be shown again.
    public func issue(tenantID: String, userName: String, role: Role, name: String, expiresAt: Date?) async throws -> (APIToken, String) {
        let userID = try await tenants.ensureUser(tenantID: tenantID, name: userName)
        var bytes = [UInt8](repeating: 0, count: 32)
        var generator = SystemRandomNumberGenerator()
        for index in bytes.indices { bytes[index] = UInt8.random(in: .min ... .max, using: &generator) }
        let secret = Self.tokenPrefix + Base64URL.encode(bytes)
        let token = APIToken(
            id: Identifier.make("token"), tenantID: tenantID, userID: userID, role: role, name: name,
            createdAt: Timestamp.string(now()), expiresAt: expiresAt.map(Timestamp.string), revokedAt: nil)
        try await store.write { db in
            try db.execute(
                """
                INSERT INTO appliance_api_tokens (id, tenant_id, user_id, role, name, token_hash, created_at, expires_at)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?)
                """,
                [.text(token.id), .text(tenantID), .text(userID), .text(role.rawValue), .text(name),
                 .text(Self.hash(secret)), .text(token.createdAt), .optional(token.expiresAt)])
        }
        return (token, secret)
    }

    /// The principal a presented token stands for, or nil when it is unknown, revoked or expired.
    /// This lookup is by the token's hash alone: it is what establishes the tenant.
    public func authenticate(_ presented: String) async throws -> Principal? {
        guard presented.hasPrefix(Self.tokenPrefix), presented.utf8.count < 200 else { return nil }
        let hash = Self.hash(presented)
        let row = try await store.read { db in
            try db.queryOne(
                "SELECT id, tenant_id, user_id, role, expires_at, revoked_at FROM appliance_api_tokens WHERE token_hash = ?",
                [.text(hash)])
        }
        guard let row, try row.optionalText("revoked_at") == nil,
              let role = Role(rawValue: try row.text("role")) else { return nil }
        if let expires = try row.optionalText("expires_at"), let date = Timestamp.date(expires), date <= now() { return nil }
        return Principal(tenantID: try row.text("tenant_id"), userID: try row.text("user_id"), role: role, tokenID: try row.text("id"))
    }

    /// Revokes a token by id; answers false when no such live token exists.
    public func revoke(tokenID: String) async throws -> Bool {
        let at = Timestamp.string(now())
        return try await store.write { db in
            try db.execute("UPDATE appliance_api_tokens SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL", [.text(at), .text(tokenID)]) == 1
        }
    }

    /// The tokens of a tenant, newest last.
    public func list(tenantID: String) async throws -> [APIToken] {
        try await store.read { db in
            try db.query("SELECT * FROM appliance_api_tokens WHERE tenant_id = ? ORDER BY id", [.text(tenantID)]).map { row in
                APIToken(
                    id: try row.text("id"), tenantID: try row.text("tenant_id"), userID: try row.text("user_id"),
                    role: Role(rawValue: try row.text("role")) ?? .viewer, name: try row.text("name"),
                    createdAt: try row.text("created_at"), expiresAt: try row.optionalText("expires_at"),
                    revokedAt: try row.optionalText("revoked_at"))
            }
        }
    }

    static func hash(_ token: String) -> String {
        Hex.encode(SHA256.hash(data: Array(token.utf8)))
    }
}
