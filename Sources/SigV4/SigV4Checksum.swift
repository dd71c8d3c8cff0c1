import Crypto
import Foundation

/// The S3 additional-checksum algorithms (`x-amz-checksum-*` headers and trailers).
public enum SigV4ChecksumAlgorithm: String, Sendable, CaseIterable {
    /// CRC-32 (zlib).
    case crc32
    /// CRC-32C (Castagnoli).
    case crc32c
    /// CRC-64/NVME.
    case crc64nvme
    /// SHA-1.
    case sha1
    /// SHA-256.
    case sha256

    /// The header (or trailer) name carrying this checksum, e.g. `x-amz-checksum-crc32`.
    public var headerName: String { "x-amz-checksum-" + rawValue }

    /// The algorithm of a header name such as `x-amz-checksum-crc32c` (case-insensitive).
    public init?(headerName: String) {
        let name = headerName.lowercased()
        guard name.hasPrefix("x-amz-checksum-") else { return nil }
        self.init(rawValue: String(name.dropFirst("x-amz-checksum-".count)))
    }
}

/// An incremental checksum of one ``SigV4ChecksumAlgorithm``; the digest is compared in base64,
/// as S3 sends it.
public struct SigV4Checksum: Sendable {
    /// The algorithm computed.
    public let algorithm: SigV4ChecksumAlgorithm
    // One of these is set; optionals (rather than an enum payload) let `update` mutate in place.
    private var crc32: CRC32?
    private var crc32c: CRC32C?
    private var crc64nvme: CRC64NVME?
    private var sha1: Insecure.SHA1?
    private var sha256: SHA256?

    /// Starts a checksum of `algorithm`.
    public init(_ algorithm: SigV4ChecksumAlgorithm) {
        self.algorithm = algorithm
        switch algorithm {
        case .crc32: crc32 = CRC32()
        case .crc32c: crc32c = CRC32C()
        case .crc64nvme: crc64nvme = CRC64NVME()
        case .sha1: sha1 = Insecure.SHA1()
        case .sha256: sha256 = SHA256()
        }
    }

    /// Adds `bytes`.
    public mutating func update(_ bytes: UnsafeRawBufferPointer) {
        crc32?.update(bytes)
        crc32c?.update(bytes)
        crc64nvme?.update(bytes)
        sha1?.update(bufferPointer: bytes)
        sha256?.update(bufferPointer: bytes)
    }

    /// Adds `bytes`.
    public mutating func update(_ bytes: [UInt8]) {
        bytes.withUnsafeBytes { update($0) }
    }

    /// The digest bytes (CRCs big-endian, as S3 encodes them).
    public var digest: [UInt8] {
        if let crc32 { return bigEndianBytes(crc32.value) }
        if let crc32c { return bigEndianBytes(crc32c.value) }
        if let crc64nvme { return bigEndianBytes(crc64nvme.value) }
        if let sha1 { return Array(sha1.finalize()) }
        if let sha256 { return Array(sha256.finalize()) }
        return []
    }

    /// The digest in base64, the form of `x-amz-checksum-*` values.
    public var base64Digest: String {
        Data(digest).base64EncodedString()
    }

    /// Whether `expected` (base64, as sent by the client) equals the digest.
    public func matches(base64 expected: String) -> Bool {
        guard let sent = Data(base64Encoded: expected.trimmingSigV4Whitespace()) else { return false }
        return Array(sent) == digest
    }

    private func bigEndianBytes<Value: FixedWidthInteger>(_ value: Value) -> [UInt8] {
        (0..<(Value.bitWidth / 8)).reversed().map { UInt8(truncatingIfNeeded: value >> ($0 * 8)) }
    }
}
