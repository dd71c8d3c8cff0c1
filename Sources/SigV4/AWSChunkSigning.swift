import Crypto
import Foundation

/// What is needed to compute the signatures of an `aws-chunked` body: the signing key, the request
/// timestamp and scope, and the seed (the signature of the request headers) that starts the chain.
public struct AWSChunkSigningContext: Sendable {
    /// The algorithm line of a chunk string to sign.
    public static let chunkAlgorithm = "AWS4-HMAC-SHA256-PAYLOAD"
    /// The algorithm line of a trailer string to sign.
    public static let trailerAlgorithm = "AWS4-HMAC-SHA256-TRAILER"

    /// The SigV4 signing key of the request.
    public var signingKey: SymmetricKey
    /// The request timestamp (`yyyyMMdd'T'HHmmss'Z'`).
    public var amzDate: String
    /// The credential scope of the request.
    public var scope: SigV4Scope
    /// The signature of the request itself: the "previous signature" of the first chunk.
    public var seedSignature: String

    /// Creates a context from an already derived signing key.
    public init(signingKey: SymmetricKey, amzDate: String, scope: SigV4Scope, seedSignature: String) {
        self.signingKey = signingKey
        self.amzDate = amzDate
        self.scope = scope
        self.seedSignature = seedSignature
    }

    /// Creates a context from a secret, deriving the signing key for `scope`.
    public init(secretAccessKey: String, amzDate: String, scope: SigV4Scope, seedSignature: String) {
        self.init(
            signingKey: SigV4Signer.signingKey(secretAccessKey: secretAccessKey, scope: scope),
            amzDate: amzDate, scope: scope, seedSignature: seedSignature)
    }

    /// The string to sign of a chunk whose data hashes (hex SHA-256) to `chunkHash`:
    /// `AWS4-HMAC-SHA256-PAYLOAD \n date \n scope \n previous \n sha256("") \n chunkHash`.
    public func chunkStringToSign(previousSignature: String, chunkHash: String) -> String {
        [Self.chunkAlgorithm, amzDate, scope.description, previousSignature, SigV4PayloadHash.emptySHA256, chunkHash]
            .joined(separator: "\n")
    }

    /// The signature of a chunk whose data hashes (hex SHA-256) to `chunkHash`.
    public func chunkSignature(previousSignature: String, chunkHash: String) -> String {
        SigV4Signer.signature(
            stringToSign: chunkStringToSign(previousSignature: previousSignature, chunkHash: chunkHash),
            signingKey: signingKey)
    }

    /// The signature of the chunk `data` (empty for the final chunk).
    public func chunkSignature(previousSignature: String, data: [UInt8]) -> String {
        chunkSignature(previousSignature: previousSignature, chunkHash: SigV4Hex.encode(SHA256.hash(data: data)))
    }

    /// The canonical form of trailer headers that the trailer signature covers: `name:value\n` per
    /// trailer, in the order sent, names lower-cased and values trimmed.
    public static func canonicalTrailers(_ trailers: [(name: String, value: String)]) -> String {
        trailers.map { $0.name.lowercased() + ":" + $0.value.trimmingSigV4Whitespace() + "\n" }.joined()
    }

    /// The string to sign of a trailer:
    /// `AWS4-HMAC-SHA256-TRAILER \n date \n scope \n previous \n hex(sha256(canonicalTrailers))`.
    public func trailerStringToSign(previousSignature: String, canonicalTrailers: String) -> String {
        [Self.trailerAlgorithm, amzDate, scope.description, previousSignature,
            SigV4Signer.sha256Hex(Data(canonicalTrailers.utf8))].joined(separator: "\n")
    }

    /// The `x-amz-trailer-signature` of `trailers` (excluding that signature itself), chained from the
    /// final chunk's signature.
    public func trailerSignature(previousSignature: String, trailers: [(name: String, value: String)]) -> String {
        SigV4Signer.signature(
            stringToSign: trailerStringToSign(
                previousSignature: previousSignature, canonicalTrailers: Self.canonicalTrailers(trailers)),
            signingKey: signingKey)
    }
}
