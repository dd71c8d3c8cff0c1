import Crypto
import Foundation

/// An incremental decoder of `Content-Encoding: aws-chunked` request bodies.
///
/// Feed the body in slices of any size as they arrive; each call returns the payload bytes decoded
/// from that slice. Signed chunks (`hex-size;chunk-signature=<sig>\r\n<data>\r\n`, final `0;…`) are
/// verified as each chunk ends, the trailer (`x-amz-checksum-*:<base64>`, `x-amz-trailer-signature`)
/// when it ends. Memory stays bounded: only one header or trailer line (at most
/// ``maxLineLength`` bytes) and the running hashes are kept.
///
/// Decoded bytes are handed out before the signature of their chunk (and the trailer checksum) has
/// been checked: stage them and commit only once ``finish()`` has returned without error.
/// After any error the decoder stays failed and rethrows that error.
public struct AWSChunkedDecoder: Sendable {
    /// The longest chunk header or trailer line accepted, CRLF included.
    public static let maxLineLength = 4096
    /// The most trailer lines accepted.
    public static let maxTrailerCount = 16

    private enum State: Sendable {
        case chunkHeader
        case chunkData(remaining: Int64)
        case chunkDataEnd(sawCR: Bool)
        case trailer
        case done
    }

    private let payload: SigV4PayloadHash
    private let signing: AWSChunkSigningContext?
    private let declaredTrailers: [String]
    private let expectedDecodedLength: Int64?

    private var state: State = .chunkHeader
    private var line: [UInt8] = []
    private var failure: SigV4Error?
    private var chunkIndex = 0
    private var previousSignature: String
    private var pendingSignature: String?
    private var chunkHash = SHA256()
    private var checksums: [SigV4Checksum]
    private var skippedBlankTrailerLine = false
    private var trailerSignature: String?

    /// The number of payload bytes decoded so far.
    public private(set) var decodedLength: Int64 = 0
    /// The trailers received (without `x-amz-trailer-signature`), names lower-cased, in order.
    public private(set) var trailers: [(name: String, value: String)] = []

    /// Whether the whole body has been decoded and verified.
    public var isComplete: Bool {
        if case .done = state { return failure == nil }
        return false
    }

    /// Creates a decoder.
    /// - Parameters:
    ///   - payload: the signed `x-amz-content-sha256` mode; must be one of the `STREAMING-*` values.
    ///   - signing: the chunk signing context (from ``SigV4VerifiedRequest/chunkSigningContext``);
    ///     required for the signed modes, ignored for `STREAMING-UNSIGNED-PAYLOAD-TRAILER`.
    ///   - declaredTrailers: the names listed in the `x-amz-trailer` header. Checksum trailers are
    ///     computed over the decoded data and checked; a trailer not declared here is refused.
    ///   - expectedDecodedLength: `x-amz-decoded-content-length`, checked as data arrives and at the end.
    /// - Throws: ``SigV4Error/unsupportedPayload(_:)`` for a non-streaming mode,
    ///   ``SigV4Error/missingAuthentication`` for a signed mode without context,
    ///   ``SigV4Error/unsupportedChecksum(_:)`` for an unknown `x-amz-checksum-*` trailer.
    public init(
        payload: SigV4PayloadHash,
        signing: AWSChunkSigningContext?,
        declaredTrailers: [String] = [],
        expectedDecodedLength: Int64? = nil
    ) throws(SigV4Error) {
        guard payload.isStreaming else { throw .unsupportedPayload(payload.value) }
        if payload != .streamingUnsignedWithTrailer && signing == nil { throw .missingAuthentication }
        self.payload = payload
        self.signing = payload == .streamingUnsignedWithTrailer ? nil : signing
        self.previousSignature = signing?.seedSignature ?? ""
        self.expectedDecodedLength = expectedDecodedLength
        let names = declaredTrailers.map { $0.trimmingSigV4Whitespace().lowercased() }.filter { !$0.isEmpty }
        self.declaredTrailers = names
        var checksums: [SigV4Checksum] = []
        for name in names where name.hasPrefix("x-amz-checksum-") {
            guard let algorithm = SigV4ChecksumAlgorithm(headerName: name) else { throw .unsupportedChecksum(name) }
            checksums.append(SigV4Checksum(algorithm))
        }
        self.checksums = checksums
    }

    /// Creates the decoder for a verified request, reading `x-amz-trailer` and
    /// `x-amz-decoded-content-length` from its headers.
    public init(verified: SigV4VerifiedRequest, request: SigV4Request) throws(SigV4Error) {
        let declared = request.headerValues("x-amz-trailer").flatMap { $0.split(separator: ",").map(String.init) }
        var expected: Int64?
        if let text = request.header("x-amz-decoded-content-length") {
            guard let value = Self.parseDecodedContentLength(text) else {
                throw .malformedChunkedBody("x-amz-decoded-content-length '\(text)' is not a length")
            }
            expected = value
        }
        try self.init(
            payload: verified.payloadHash,
            signing: verified.chunkSigningContext,
            declaredTrailers: declared,
            expectedDecodedLength: expected)
    }

    /// Parses an `x-amz-decoded-content-length` value; `nil` unless it is a non-negative integer.
    public static func parseDecodedContentLength(_ text: String) -> Int64? {
        let trimmed = text.trimmingSigV4Whitespace()
        guard !trimmed.isEmpty, trimmed.utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }) else { return nil }
        return Int64(trimmed)
    }

    /// Checks that the decoded total equals `expected` (the `x-amz-decoded-content-length`).
    public func checkDecodedLength(_ expected: Int64) throws(SigV4Error) {
        guard decodedLength == expected else { throw .decodedLengthMismatch(expected: expected, actual: decodedLength) }
    }

    /// Decodes the next slice of the body and returns the payload bytes it contained.
    public mutating func decode(_ bytes: [UInt8]) throws(SigV4Error) -> [UInt8] {
        var output: [UInt8] = []
        var result: SigV4Error?
        bytes.withUnsafeBytes { buffer in
            do throws(SigV4Error) {
                try decode(buffer, into: &output)
            } catch {
                result = error
            }
        }
        if let result { throw result }
        return output
    }

    /// Decodes the next slice of the body and returns the payload bytes it contained.
    public mutating func decode(_ bytes: UnsafeRawBufferPointer) throws(SigV4Error) -> [UInt8] {
        var output: [UInt8] = []
        try decode(bytes, into: &output)
        return output
    }

    /// Decodes the next slice of the body, appending the payload bytes it contained to `output`.
    public mutating func decode(_ bytes: UnsafeRawBufferPointer, into output: inout [UInt8]) throws(SigV4Error) {
        if let failure { throw failure }
        do throws(SigV4Error) {
            try run(bytes, into: &output)
        } catch {
            failure = error
            throw error
        }
    }

    /// Declares the end of the body.
    /// - Throws: ``SigV4Error/incompleteBody`` when the encoding was cut short, or the trailer's error
    ///   when the body ends right after its trailer lines.
    public mutating func finish() throws(SigV4Error) {
        if let failure { throw failure }
        do throws(SigV4Error) {
            switch state {
            case .done:
                return
            case .trailer where line.isEmpty:
                // Tolerated: a body whose trailer section is not closed by an empty line.
                try completeTrailer()
            default:
                throw SigV4Error.incompleteBody
            }
        } catch {
            failure = error
            throw error
        }
    }

    // MARK: - State machine

    private mutating func run(_ bytes: UnsafeRawBufferPointer, into output: inout [UInt8]) throws(SigV4Error) {
        var index = 0
        let count = bytes.count
        while index < count {
            switch state {
            case .chunkHeader, .trailer:
                guard let completed = try takeLine(bytes, from: &index) else { continue }
                if case .chunkHeader = state {
                    try chunkHeader(completed)
                } else {
                    try trailerLine(completed)
                }

            case .chunkData(let remaining):
                let take = Int(min(remaining, Int64(count - index)))
                let slice = UnsafeRawBufferPointer(rebasing: bytes[index..<(index + take)])
                output.append(contentsOf: slice)
                if signing != nil { chunkHash.update(bufferPointer: slice) }
                for position in checksums.indices { checksums[position].update(slice) }
                decodedLength += Int64(take)
                if let expectedDecodedLength, decodedLength > expectedDecodedLength {
                    throw .decodedLengthMismatch(expected: expectedDecodedLength, actual: decodedLength)
                }
                index += take
                let left = remaining - Int64(take)
                if left == 0 {
                    try verifyChunk(hash: signing == nil ? "" : SigV4Hex.encode(chunkHash.finalize()))
                    state = .chunkDataEnd(sawCR: false)
                } else {
                    state = .chunkData(remaining: left)
                }

            case .chunkDataEnd(let sawCR):
                let byte = bytes[index]
                index += 1
                if !sawCR && byte == UInt8(ascii: "\r") {
                    state = .chunkDataEnd(sawCR: true)
                } else if sawCR && byte == UInt8(ascii: "\n") {
                    state = .chunkHeader
                } else {
                    throw .malformedChunkedBody("chunk \(chunkIndex - 1) is not followed by CRLF")
                }

            case .done:
                throw .malformedChunkedBody("data follows the end of the aws-chunked body")
            }
        }
    }

    /// Accumulates bytes up to a LF; returns the completed line without its CRLF, or `nil` when the
    /// slice ended first.
    private mutating func takeLine(_ bytes: UnsafeRawBufferPointer, from index: inout Int) throws(SigV4Error) -> [UInt8]? {
        let rest = UnsafeRawBufferPointer(rebasing: bytes[index...])
        let newline = rest.firstIndex(of: UInt8(ascii: "\n"))
        let end = newline.map { index + $0 } ?? bytes.count
        guard line.count + (end - index) + (newline == nil ? 0 : 1) <= Self.maxLineLength else {
            throw .chunkLineTooLong(limit: Self.maxLineLength)
        }
        line.append(contentsOf: UnsafeRawBufferPointer(rebasing: bytes[index..<end]))
        guard newline != nil else {
            index = end
            return nil
        }
        index = end + 1
        guard line.last == UInt8(ascii: "\r") else {
            throw .malformedChunkedBody("a chunk header or trailer line does not end with CRLF")
        }
        line.removeLast()
        defer { line.removeAll(keepingCapacity: true) }
        return line
    }

    private mutating func chunkHeader(_ text: [UInt8]) throws(SigV4Error) {
        let parts = text.split(separator: UInt8(ascii: ";"), maxSplits: 1, omittingEmptySubsequences: false)
        let sizeDigits = parts.first ?? []
        guard !sizeDigits.isEmpty, sizeDigits.count <= 16 else {
            throw .malformedChunkedBody("chunk \(chunkIndex) has no valid hex size")
        }
        var size: UInt64 = 0
        for byte in sizeDigits {
            guard let nibble = SigV4Hex.nibble(byte) else {
                throw .malformedChunkedBody("chunk \(chunkIndex) has no valid hex size")
            }
            size = size << 4 | UInt64(nibble)
        }
        guard size <= UInt64(Int64.max) else { throw .malformedChunkedBody("chunk \(chunkIndex) is too large") }

        if signing != nil {
            let extensions = parts.count > 1 ? String(decoding: parts[1], as: UTF8.self) : ""
            let prefix = "chunk-signature="
            guard let found = extensions.split(separator: ";").first(where: { $0.hasPrefix(prefix) }) else {
                throw .malformedChunkedBody("chunk \(chunkIndex) has no chunk-signature")
            }
            let signature = String(found.dropFirst(prefix.count))
            guard SigV4Hex.isHexDigest(signature, byteCount: 32) else {
                throw .malformedChunkedBody("the chunk-signature of chunk \(chunkIndex) is not 64 hex digits")
            }
            pendingSignature = signature
            chunkHash = SHA256()
        }
        if size == 0 {
            try verifyChunk(hash: SigV4PayloadHash.emptySHA256)
            state = .trailer
        } else {
            state = .chunkData(remaining: Int64(size))
        }
    }

    /// Checks the signature of the chunk just read (when signed) and chains it.
    private mutating func verifyChunk(hash: String) throws(SigV4Error) {
        defer { chunkIndex += 1 }
        guard let signing, let sent = pendingSignature else { return }
        let expected = signing.chunkSignature(previousSignature: previousSignature, chunkHash: hash)
        guard SigV4Hex.constantTimeEquals(expected, sent) else {
            throw .chunkSignatureDoesNotMatch(chunkIndex: chunkIndex)
        }
        previousSignature = expected
        pendingSignature = nil
    }

    private var hasTrailer: Bool { payload != .streamingSigned }

    private mutating func trailerLine(_ text: [UInt8]) throws(SigV4Error) {
        if text.isEmpty {
            if hasTrailer && trailers.isEmpty && trailerSignature == nil && !skippedBlankTrailerLine {
                // Tolerated: an empty line between the final chunk and the trailer (as in the S3 docs).
                skippedBlankTrailerLine = true
                return
            }
            try completeTrailer()
            return
        }
        guard hasTrailer else {
            throw .malformedChunkedBody("a trailer follows the final chunk, but the payload mode has none")
        }
        guard trailers.count < Self.maxTrailerCount else { throw .malformedChunkedBody("too many trailers") }
        guard trailerSignature == nil else {
            throw .malformedChunkedBody("a trailer follows x-amz-trailer-signature")
        }
        guard let colon = text.firstIndex(of: UInt8(ascii: ":")) else {
            throw .malformedChunkedBody("a trailer line has no ':'")
        }
        let name = String(decoding: text[..<colon], as: UTF8.self).trimmingSigV4Whitespace().lowercased()
        let value = String(decoding: text[(colon + 1)...], as: UTF8.self).trimmingSigV4Whitespace()
        guard !name.isEmpty else { throw .malformedChunkedBody("a trailer line has no name") }
        if name == "x-amz-trailer-signature" {
            guard signing != nil else {
                throw .malformedChunkedBody("x-amz-trailer-signature in an unsigned body")
            }
            guard SigV4Hex.isHexDigest(value, byteCount: 32) else {
                throw .malformedChunkedBody("x-amz-trailer-signature is not 64 hex digits")
            }
            trailerSignature = value
            return
        }
        guard declaredTrailers.contains(name) else { throw .undeclaredTrailer(name) }
        guard !trailers.contains(where: { $0.name == name }) else {
            throw .malformedChunkedBody("the trailer \(name) is repeated")
        }
        trailers.append((name: name, value: value))
    }

    /// Verifies the trailer signature, the declared trailers, the checksums and the length.
    private mutating func completeTrailer() throws(SigV4Error) {
        if payload == .streamingSignedWithTrailer, let signing {
            guard let sent = trailerSignature else { throw .missingTrailerSignature }
            let expected = signing.trailerSignature(previousSignature: previousSignature, trailers: trailers)
            guard SigV4Hex.constantTimeEquals(expected, sent) else { throw .trailerSignatureDoesNotMatch }
        }
        for name in declaredTrailers where !trailers.contains(where: { $0.name == name }) {
            throw .missingTrailer(name)
        }
        for checksum in checksums {
            let name = checksum.algorithm.headerName
            guard let sent = trailers.first(where: { $0.name == name })?.value else { throw .missingTrailer(name) }
            guard checksum.matches(base64: sent) else {
                throw .checksumMismatch(algorithm: name, expected: sent, computed: checksum.base64Digest)
            }
        }
        if let expectedDecodedLength {
            try checkDecodedLength(expectedDecodedLength)
        }
        state = .done
    }
}
