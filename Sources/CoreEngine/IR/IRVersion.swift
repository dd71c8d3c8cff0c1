/// The IR schema version of a bundle, `MAJOR.MINOR`. The engine reads bundles of its own major
/// version whose minor is not newer than its own.
public struct IRVersion: Sendable, Equatable, CustomStringConvertible {
    public let major: Int
    public let minor: Int

    /// The version this engine implements.
    public static let engine = IRVersion(major: 1, minor: 0)

    public init(major: Int, minor: Int) {
        self.major = major
        self.minor = minor
    }

    /// Parses `"1.0"` (a patch part, `"1.0.3"`, is accepted and ignored).
    public init?(_ text: String) {
        let parts = text.split(separator: ".", omittingEmptySubsequences: false)
        guard (2...3).contains(parts.count), let major = Int(parts[0]), let minor = Int(parts[1]), major >= 0, minor >= 0,
              parts.count == 2 || Int(parts[2]) != nil else { return nil }
        self.init(major: major, minor: minor)
    }

    public var description: String { "\(major).\(minor)" }

    /// True when this engine can run a bundle of this version.
    public var isReadable: Bool { major == Self.engine.major && minor <= Self.engine.minor }
}
