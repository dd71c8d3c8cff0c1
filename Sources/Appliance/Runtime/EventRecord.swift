import CoreEngine

/// An accepted event (or invocation), as stored in `mod_scaicore_events`.
public struct EventRecord: Sendable, Equatable {
    /// Where an event came from.
    public enum Source: String, Sendable { case api, emit, schedule, invoke }

    public let id: String
    public let tenantID: String
    public let coreID: String
    public let name: String
    public let data: JSONValue
    public let source: Source
    public let sourceRunID: String?
    public let sender: String?
    /// `accepted` (it started runs) or `unmatched` (no flow subscribes).
    public let status: String
    public let runIDs: [String]
    public let createdAt: String
}
