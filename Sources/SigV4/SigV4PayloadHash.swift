import Crypto

/// The values the hashed-payload line of a canonical request (and the `x-amz-content-sha256`
/// header) can take, and how the body must be read for each.
public enum SigV4PayloadHash: Sendable, Equatable {
    /// The body is sent as is and its SHA-256 (lower-case hex) is signed.
    case sha256(String)
    /// `UNSIGNED-PAYLOAD`: the body is sent as is and not covered by the signature.
    case unsigned
    /// `STREAMING-AWS4-HMAC-SHA256-PAYLOAD`: `aws-chunked` body, every chunk signed.
    case streamingSigned
    /// `STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER`: `aws-chunked` body, chunks and trailer signed.
    case streamingSignedWithTrailer
    /// `STREAMING-UNSIGNED-PAYLOAD-TRAILER`: `aws-chunked` body without chunk signatures, with a trailer.
    case streamingUnsignedWithTrailer

    /// The literal `UNSIGNED-PAYLOAD`.
    public static let unsignedPayload = "UNSIGNED-PAYLOAD"
    /// The literal `STREAMING-AWS4-HMAC-SHA256-PAYLOAD`.
    public static let streamingSignedPayload = "STREAMING-AWS4-HMAC-SHA256-PAYLOAD"
    /// The literal `STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER`.
    public static let streamingSignedPayloadTrailer = "STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER"
    /// The literal `STREAMING-UNSIGNED-PAYLOAD-TRAILER`.
    public static let streamingUnsignedPayloadTrailer = "STREAMING-UNSIGNED-PAYLOAD-TRAILER"
    /// The hex SHA-256 of the empty string.
    public static let emptySHA256 = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"

    /// The lower-case hex SHA-256 of `body`: the hashed payload of a signed single-chunk request.
    public static func sha256Hex(of body: [UInt8]) -> String {
        SigV4Hex.encode(SHA256.hash(data: body))
    }

    /// Classifies a hashed-payload value; `nil` when it is neither 64 hex digits nor a known literal
    /// (for example the SigV4a `STREAMING-AWS4-ECDSA-P256-SHA256-PAYLOAD`, which is not supported).
    public init?(_ value: String) {
        switch value {
        case Self.unsignedPayload: self = .unsigned
        case Self.streamingSignedPayload: self = .streamingSigned
        case Self.streamingSignedPayloadTrailer: self = .streamingSignedWithTrailer
        case Self.streamingUnsignedPayloadTrailer: self = .streamingUnsignedWithTrailer
        default:
            guard SigV4Hex.isHexDigest(value, byteCount: 32) else { return nil }
            self = .sha256(value.lowercased())
        }
    }

    /// The value as written in a canonical request.
    public var value: String {
        switch self {
        case .sha256(let hex): return hex
        case .unsigned: return Self.unsignedPayload
        case .streamingSigned: return Self.streamingSignedPayload
        case .streamingSignedWithTrailer: return Self.streamingSignedPayloadTrailer
        case .streamingUnsignedWithTrailer: return Self.streamingUnsignedPayloadTrailer
        }
    }

    /// Whether the body uses `Content-Encoding: aws-chunked` framing (decode it with ``AWSChunkedDecoder``).
    public var isStreaming: Bool {
        switch self {
        case .streamingSigned, .streamingSignedWithTrailer, .streamingUnsignedWithTrailer: return true
        case .sha256, .unsigned: return false
        }
    }
}
