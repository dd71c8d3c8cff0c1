import CoreEngine

/// A Core as stored in `mod_scaicore_cores`.
public struct Core: Sendable, Equatable {
    public let id: String
    public let tenantID: String
    public var slug: String
    public var name: String
    /// The IR bundle as a JSON value (stored as JSON text in `ir_source`).
    public var ir: JSONValue
    /// `ir_version` of the bundle, when it declares one.
    public var irVersion: String?
    /// Increases by one each time the IR changes; `mod_scaicore_core_versions` keeps each revision.
    public var irRevision: Int64
    public var runtimeConfig: JSONValue
    public var identityMode: IdentityMode
    public var plugins: [String]
    public var avatarURL: String?
    public var status: CoreStatus
    public var statusReason: String?
    public let createdAt: String
    public var updatedAt: String
    /// Optimistic-locking version: increases on every change, served as the ETag.
    public var version: Int64
}

/// How a Core acts towards plugins and models: as its own service identity, or on behalf of
/// the user who triggered it (the identity issue gives these their full meaning).
public enum IdentityMode: String, Sendable, CaseIterable {
    case service, delegated
}
