import Foundation
import Storage

/// An S3 access key as listed (never with its secret).
public struct S3AccessKey: Sendable, Equatable {
    public let accessKeyID: String
    public let tenantID: String
    public let name: String
    public let createdAt: String
    public let revokedAt: String?
}

/// Issues, looks up and revokes the access keys of the S3 listener. Keys are tenant-scoped: a
/// request signed with a key acts as that key's tenant. The secret is shown once when issued and
/// kept sealed (``SecretSealer``) because SigV4 verification needs it.
public struct S3KeyService: Sendable {
    let store: any RelationalStore
    let sealer: SecretSealer
    let now: Now

    public init(store: any RelationalStore, sealer: SecretSealer, now: @escaping Now = { Date() }) {
        self.store = store
        self.sealer = sealer
        self.now = now
    }

    /// Issues a key for the tenant; answers the key and its secret (shown once). Ids look like
    /// Garage's (`GK` + 24 hex digits), secrets are 64 hex digits.
    public func issue(tenantID: String, name: String) async throws -> (S3AccessKey, String) {
        let key = S3AccessKey(accessKeyID: "GK" + Self.randomHex(12), tenantID: tenantID, name: name,
                              createdAt: Timestamp.string(now()), revokedAt: nil)
        let secret = Self.randomHex(32)
        let sealed = try sealer.seal(secret)
        try await store.write { db in
            try db.execute(
                "INSERT INTO appliance_s3_keys (access_key_id, tenant_id, name, secret_sealed, created_at) VALUES (?, ?, ?, ?, ?)",
                [.text(key.accessKeyID), .text(tenantID), .text(name), .text(sealed), .text(key.createdAt)])
        }
        return (key, secret)
    }

    /// The tenant and secret of a live key, or nil when it is unknown or revoked.
    public func credential(accessKeyID: String) async throws -> (tenantID: String, secret: String)? {
        guard accessKeyID.utf8.count <= 128 else { return nil }
        let row = try await store.read { db in
            try db.queryOne("SELECT tenant_id, secret_sealed, revoked_at FROM appliance_s3_keys WHERE access_key_id = ?", [.text(accessKeyID)])
        }
        guard let row, try row.optionalText("revoked_at") == nil else { return nil }
        return (try row.text("tenant_id"), try sealer.open(try row.text("secret_sealed")))
    }

    /// The keys of a tenant, oldest first.
    public func list(tenantID: String) async throws -> [S3AccessKey] {
        try await store.read { db in
            try db.query("SELECT access_key_id, tenant_id, name, created_at, revoked_at FROM appliance_s3_keys WHERE tenant_id = ? ORDER BY created_at, access_key_id",
                         [.text(tenantID)]).map { row in
                S3AccessKey(accessKeyID: try row.text("access_key_id"), tenantID: try row.text("tenant_id"), name: try row.text("name"),
                            createdAt: try row.text("created_at"), revokedAt: try row.optionalText("revoked_at"))
            }
        }
    }

    /// Revokes a key; answers false when no such live key exists. Takes effect on the next request.
    public func revoke(accessKeyID: String) async throws -> Bool {
        let at = Timestamp.string(now())
        return try await store.write { db in
            try db.execute("UPDATE appliance_s3_keys SET revoked_at = ? WHERE access_key_id = ? AND revoked_at IS NULL", [.text(at), .text(accessKeyID)]) == 1
        }
    }

    private static func randomHex(_ byteCount: Int) -> String {
        var generator = SystemRandomNumberGenerator()
        return Hex.encode((0..<byteCount).map { _ in UInt8.random(in: .min ... .max, using: &generator) })
    }
}
