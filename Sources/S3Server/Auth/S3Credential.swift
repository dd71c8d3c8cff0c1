/// An S3 access key: the id clients send, the secret they sign with, and the tenant whose buckets
/// the key reaches.
public struct S3Credential: Sendable, Hashable {
    /// The access key id (the `Credential=<id>/…` of a signature).
    public var accessKeyID: String
    /// The secret access key; never logged, never sent.
    public var secret: String
    /// The tenant every request signed with this key acts as.
    public var tenant: String

    /// Creates a credential.
    public init(accessKeyID: String, secret: String, tenant: String) {
        self.accessKeyID = accessKeyID
        self.secret = secret
        self.tenant = tenant
    }
}

extension S3Credential: CustomStringConvertible {
    /// The access key id and tenant; the secret is never shown.
    public var description: String { "S3Credential(accessKeyID: \(accessKeyID), tenant: \(tenant))" }
}

/// Resolves access key ids to credentials. The appliance implements it over its key table.
public protocol S3CredentialStore: Sendable {
    /// The credential of `accessKeyID`, or nil when the key is unknown (or revoked).
    func credential(accessKeyID: String) async throws -> S3Credential?
}

/// A fixed set of credentials held in memory (tests, single-user setups).
public struct StaticS3CredentialStore: S3CredentialStore {
    private let byID: [String: S3Credential]

    /// Creates a store of `credentials` (a later duplicate id replaces an earlier one).
    public init(_ credentials: [S3Credential]) {
        var byID: [String: S3Credential] = [:]
        for credential in credentials { byID[credential.accessKeyID] = credential }
        self.byID = byID
    }

    /// The credential of `accessKeyID`, if held.
    public func credential(accessKeyID: String) async throws -> S3Credential? {
        byID[accessKeyID]
    }
}
