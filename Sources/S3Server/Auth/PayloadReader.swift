import Crypto
import Foundation
import Hummingbird
import SigV4

/// Reads a request body the way its signature and headers say it must be read, and checks every
/// promise made about it: the signed SHA-256 (`XAmzContentSHA256Mismatch`), `Content-MD5`
/// (`BadDigest`), an `x-amz-checksum-*` header (`BadDigest`), the `aws-chunked` framing with its
/// chunk signatures and trailer checksums (``AWSChunkedDecoder``), the declared length
/// (`IncompleteBody`) and a size limit (`EntityTooLarge`).
///
/// Bytes are handed to the sink before the final checks pass: a caller stages them and publishes
/// only when ``read(_:limit:sink:)`` returns.
struct PayloadReader: Sendable {
    /// How the body is framed and what its signature covers.
    enum Framing: Sendable {
        /// Bytes as sent; `sha256` is the signed hex digest to compare, nil for `UNSIGNED-PAYLOAD`.
        case plain(sha256: String?)
        /// `Content-Encoding: aws-chunked`.
        case chunked(AWSChunkedDecoder)
    }

    let framing: Framing
    /// The decoded `Content-MD5`, when sent.
    let contentMD5: [UInt8]?
    /// An `x-amz-checksum-<algorithm>` header to check over the payload.
    let checksum: (algorithm: SigV4ChecksumAlgorithm, expected: String)?
    /// The payload length announced up front: `Content-Length` for a plain body,
    /// `x-amz-decoded-content-length` for an `aws-chunked` one.
    let declaredLength: Int64?

    /// Bytes handed to the sink at a time (fewer, larger writes).
    static let sinkBufferSize = 1 << 20

    /// A reader with explicit checks.
    init(framing: Framing, contentMD5: [UInt8]?, checksum: (algorithm: SigV4ChecksumAlgorithm, expected: String)?, declaredLength: Int64?) {
        self.framing = framing
        self.contentMD5 = contentMD5
        self.checksum = checksum
        self.declaredLength = declaredLength
    }

    /// The reader for an authenticated request.
    init(request: Request, authenticated: AuthenticatedRequest) throws(S3Error) {
        let headers = request.headers
        let contentLength = headers[.contentLength].flatMap { Int64($0.trimmingXMLWhitespace()) }
        let payload = authenticated.verified.payloadHash
        var trailerNames: Set<String> = []
        switch payload {
        case .sha256(let hex):
            framing = .plain(sha256: hex)
            declaredLength = contentLength
        case .unsigned:
            framing = .plain(sha256: nil)
            declaredLength = contentLength
        case .streamingSigned, .streamingSignedWithTrailer, .streamingUnsignedWithTrailer:
            do throws(SigV4Error) {
                framing = .chunked(try AWSChunkedDecoder(verified: authenticated.verified, request: authenticated.signed))
            } catch {
                throw S3Error(error)
            }
            declaredLength = headers[.amzDecodedContentLength].flatMap(AWSChunkedDecoder.parseDecodedContentLength)
            trailerNames = Set(authenticated.signed.headerValues("x-amz-trailer").flatMap {
                $0.split(separator: ",").map { $0.trimmingXMLWhitespace().lowercased() }
            })
        }
        if let md5Text = headers[.contentMD5] {
            guard let digest = Data(base64Encoded: md5Text.trimmingXMLWhitespace()), digest.count == 16 else {
                throw S3Error.invalidDigest()
            }
            contentMD5 = Array(digest)
        } else {
            contentMD5 = nil
        }
        var checksum: (SigV4ChecksumAlgorithm, String)?
        for field in headers {
            let name = field.name.canonicalName
            guard name.hasPrefix("x-amz-checksum-"), !trailerNames.contains(name),
                let algorithm = SigV4ChecksumAlgorithm(headerName: name)
            else { continue }
            checksum = (algorithm, field.value)
            break
        }
        self.checksum = checksum.map { (algorithm: $0.0, expected: $0.1) }
    }

    /// Whether the body is `aws-chunked`.
    var isChunked: Bool {
        if case .chunked = framing { return true }
        return false
    }

    /// Streams the payload of `body` to `sink` in pieces of about ``sinkBufferSize`` bytes, then
    /// checks every digest, signature and length. Throws ``S3Error`` `EntityTooLarge` as soon as the
    /// payload passes `limit` (and before reading when the declared length does).
    func read(_ body: RequestBody, limit: Int64, sink: ([UInt8]) async throws -> Void) async throws {
        if let declaredLength, declaredLength > limit { throw S3Error.entityTooLarge(limit: limit) }
        var sha256: SHA256? = if case .plain(_?) = framing { SHA256() } else { nil }
        var md5: Insecure.MD5? = contentMD5 == nil ? nil : Insecure.MD5()
        var additional: SigV4Checksum? = checksum.map { SigV4Checksum($0.algorithm) }
        var decoder: AWSChunkedDecoder? = if case .chunked(let decoder) = framing { decoder } else { nil }
        var pending: [UInt8] = []
        pending.reserveCapacity(Self.sinkBufferSize + 65_536)
        var rawLength: Int64 = 0
        var payloadLength: Int64 = 0

        func flush() async throws {
            guard !pending.isEmpty else { return }
            pending.withUnsafeBytes { bytes in
                md5?.update(bufferPointer: bytes)
                additional?.update(bytes)
            }
            // The filled buffer moves to the sink (no copy); a fresh one takes its place.
            let chunk = pending
            pending = []
            pending.reserveCapacity(Self.sinkBufferSize + 65_536)
            try await sink(chunk)
        }

        for try await buffer in body {
            rawLength += Int64(buffer.readableBytes)
            try buffer.withUnsafeReadableBytes { bytes throws in
                if decoder != nil {
                    do throws(SigV4Error) {
                        let before = pending.count
                        try decoder?.decode(bytes, into: &pending)
                        payloadLength += Int64(pending.count - before)
                    } catch {
                        throw S3Error(error)
                    }
                } else {
                    sha256?.update(bufferPointer: bytes)
                    pending.append(contentsOf: bytes)
                    payloadLength += Int64(bytes.count)
                }
            }
            if payloadLength > limit { throw S3Error.entityTooLarge(limit: limit) }
            if pending.count >= Self.sinkBufferSize { try await flush() }
        }
        try await flush()

        if var decoder {
            do throws(SigV4Error) {
                try decoder.finish()
            } catch {
                throw S3Error(error)
            }
            if let declaredLength, payloadLength != declaredLength {
                throw S3Error(SigV4Error.decodedLengthMismatch(expected: declaredLength, actual: payloadLength))
            }
        } else if let declaredLength, rawLength != declaredLength {
            throw S3Error.incompleteBody()
        }
        if case .plain(let expected?) = framing, let sha256 {
            let computed = SigV4Hex.encode(sha256.finalize())
            guard computed == expected.lowercased() else { throw S3Error.contentSHA256Mismatch() }
        }
        if let contentMD5, let md5, Array(md5.finalize()) != contentMD5 { throw S3Error.badDigest() }
        if let checksum, let additional, !additional.matches(base64: checksum.expected) {
            throw S3Error(
                "BadDigest", .badRequest, "The \(checksum.algorithm.headerName) you specified did not match the calculated checksum.")
        }
    }

    /// Reads a small body (an XML document) whole, with the same checks; more than `limit` bytes
    /// throws ``S3Error`` `MaxMessageLengthExceeded`.
    /// With `checksumHeader: false` an `x-amz-checksum-*` header is not checked against this body:
    /// on CompleteMultipartUpload it is the whole object's checksum, not the XML's.
    func collect(_ body: RequestBody, limit: Int, checksumHeader: Bool = true) async throws -> [UInt8] {
        let reader = checksumHeader ? self : PayloadReader(framing: framing, contentMD5: contentMD5, checksum: nil, declaredLength: declaredLength)
        var bytes: [UInt8] = []
        do {
            try await reader.read(body, limit: Int64(limit)) { bytes.append(contentsOf: $0) }
        } catch let error as S3Error where error.code == "EntityTooLarge" {
            throw S3Error.maxMessageLengthExceeded()
        }
        return bytes
    }
}
