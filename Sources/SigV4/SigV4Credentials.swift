/// An access key pair (and, for temporary credentials, a session token) used to sign requests.
public struct SigV4Credentials: Sendable, Equatable {
    /// The public half of the key pair, sent in the `Credential=` component.
    public var accessKeyID: String
    /// The secret half of the key pair; never sent, only used to derive the signing key.
    public var secretAccessKey: String
    /// The session token of temporary credentials, sent as `X-Amz-Security-Token`; `nil` for long-term keys.
    public var sessionToken: String?

    /// Creates credentials from an access key id, a secret and an optional session token.
    public init(accessKeyID: String, secretAccessKey: String, sessionToken: String? = nil) {
        self.accessKeyID = accessKeyID
        self.secretAccessKey = secretAccessKey
        self.sessionToken = sessionToken
    }
}

/// The credential scope of a signature: `date/region/service/aws4_request`.
public struct SigV4Scope: Sendable, Hashable, CustomStringConvertible {
    /// The fixed terminator of every SigV4 scope.
    public static let terminator = "aws4_request"

    /// The signing day in `yyyyMMdd` form (UTC), e.g. `20150830`.
    public var date: String
    /// The region, e.g. `us-east-1`.
    public var region: String
    /// The service, e.g. `s3`.
    public var service: String

    /// Creates a scope from its three variable parts.
    public init(date: String, region: String, service: String) {
        self.date = date
        self.region = region
        self.service = service
    }

    /// Creates the scope for a request timestamp (`yyyyMMdd'T'HHmmss'Z'`): the day is its first eight characters.
    public init(amzDate: String, region: String, service: String) {
        self.init(date: String(amzDate.prefix(8)), region: region, service: service)
    }

    /// The scope as it appears in a string to sign, e.g. `20150830/us-east-1/service/aws4_request`.
    public var description: String {
        "\(date)/\(region)/\(service)/\(Self.terminator)"
    }
}
