import CoreEngine
import Foundation
import Storage

/// A tenant: the boundary of every row the appliance stores.
public struct Tenant: Sendable, Equatable {
    public let id: String
    public let slug: String
    public let name: String
    public let createdAt: String
}

/// Tenants and their users. Tenants are the root of scoping, so these reads are the only ones
/// not filtered by a tenant id.
public struct TenantRepository: Sendable {
    let store: any RelationalStore
    let now: Now

    public init(store: any RelationalStore, now: @escaping Now = { Date() }) {
        self.store = store
        self.now = now
    }

    /// Creates a tenant; throws 409 when the slug is taken.
    public func create(slug: String, name: String) async throws -> Tenant {
        guard Slug.isValid(slug) else {
            throw ApplianceError(.badRequest, code: "invalid_slug", "tenant slug '\(slug)' must match \(Slug.pattern)")
        }
        let tenant = Tenant(id: Identifier.make("tenant"), slug: slug, name: name, createdAt: Timestamp.string(now()))
        do {
            try await store.write { db in
                try db.execute(
                    "INSERT INTO appliance_tenants (id, slug, name, created_at) VALUES (?, ?, ?, ?)",
                    [.text(tenant.id), .text(tenant.slug), .text(tenant.name), .text(tenant.createdAt)])
            }
        } catch StorageError.uniqueViolation {
            throw ApplianceError(.conflict, code: "tenant_exists", "a tenant with slug '\(slug)' already exists")
        }
        return tenant
    }

    public func list() async throws -> [Tenant] {
        try await store.read { db in
            try db.query("SELECT * FROM appliance_tenants ORDER BY id", []).map(Self.tenant)
        }
    }

    /// The tenant whose id or slug is `reference`.
    public func find(_ reference: String) async throws -> Tenant? {
        try await store.read { db in
            try db.queryOne("SELECT * FROM appliance_tenants WHERE id = ? OR slug = ?", [.text(reference), .text(reference)]).map(Self.tenant)
        }
    }

    /// The id of the user `name` in the tenant, created if it does not exist yet.
    public func ensureUser(tenantID: String, name: String) async throws -> String {
        let candidate = Identifier.make("user")
        let createdAt = Timestamp.string(now())
        return try await store.write { db in
            if let row = try db.queryOne("SELECT id FROM appliance_users WHERE tenant_id = ? AND name = ?", [.text(tenantID), .text(name)]) {
                return try row.text("id")
            }
            try db.execute(
                "INSERT INTO appliance_users (id, tenant_id, name, created_at) VALUES (?, ?, ?, ?)",
                [.text(candidate), .text(tenantID), .text(name), .text(createdAt)])
            return candidate
        }
    }

    /// Records the user's e-mail address (where checkpoint notifications go).
    public func setEmail(tenantID: String, userID: String, email: String) async throws {
        try await store.write { db in
            try db.execute("UPDATE appliance_users SET email = ? WHERE tenant_id = ? AND id = ?", [.text(email), .text(tenantID), .text(userID)])
        }
    }

    /// The user's name, or nil.
    public func userName(tenantID: String, userID: String) async throws -> String? {
        try await store.read { db in
            try db.queryOne("SELECT name FROM appliance_users WHERE tenant_id = ? AND id = ?", [.text(tenantID), .text(userID)])?.text("name")
        }
    }

    static func tenant(_ row: SQLRow) throws -> Tenant {
        Tenant(id: try row.text("id"), slug: try row.text("slug"), name: try row.text("name"), createdAt: try row.text("created_at"))
    }
}
