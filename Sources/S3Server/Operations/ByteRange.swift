/// A `Range: bytes=…` request as written, before it meets an object size.
enum ByteRangeSpec: Sendable, Equatable {
    /// `bytes=first-last` (last inclusive) or `bytes=first-` (last nil).
    case span(first: Int64, last: Int64?)
    /// `bytes=-n`: the last `n` bytes.
    case suffix(Int64)

    /// Reads a Range header. Nil when it is not a single well-formed byte range; S3 then
    /// ignores the header and serves the whole object (as it does for multiple ranges).
    init?(header: String) {
        let text = header.trimmingXMLWhitespace()
        guard text.lowercased().hasPrefix("bytes=") else { return nil }
        let spec = text.dropFirst("bytes=".count).trimmingXMLWhitespace()
        guard !spec.contains(","), let dash = spec.firstIndex(of: "-") else { return nil }
        let firstText = spec[..<dash].trimmingXMLWhitespace()
        let lastText = spec[spec.index(after: dash)...].trimmingXMLWhitespace()
        if firstText.isEmpty {
            guard let count = Self.number(lastText) else { return nil }
            self = .suffix(count)
            return
        }
        guard let first = Self.number(firstText) else { return nil }
        if lastText.isEmpty {
            self = .span(first: first, last: nil)
            return
        }
        guard let last = Self.number(lastText), last >= first else { return nil }
        self = .span(first: first, last: last)
    }

    /// The bytes this spec selects of an object of `size` bytes; throws ``S3Error`` `InvalidRange`
    /// (416) when none of them exists.
    func resolve(size: Int64) throws(S3Error) -> ByteRange {
        switch self {
        case .span(let first, let last):
            guard first < size else { throw S3Error.invalidRange(size: size) }
            return ByteRange(first: first, last: min(last ?? (size - 1), size - 1))
        case .suffix(let count):
            guard count > 0, size > 0 else { throw S3Error.invalidRange(size: size) }
            return ByteRange(first: max(0, size - count), last: size - 1)
        }
    }

    private static func number(_ text: String) -> Int64? {
        guard !text.isEmpty, text.utf8.allSatisfy({ $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") }) else { return nil }
        return Int64(text)
    }
}

/// A satisfiable byte range of an object: `first...last`, inclusive.
struct ByteRange: Sendable, Equatable {
    var first: Int64
    var last: Int64

    /// The number of bytes.
    var count: Int64 { last - first + 1 }

    /// The `Content-Range` value for an object of `size` bytes: `bytes first-last/size`.
    func contentRange(size: Int64) -> String {
        "bytes \(first)-\(last)/\(size)"
    }

    /// Reads `x-amz-copy-source-range: bytes=first-last` (both bounds required) for a source of
    /// `size` bytes. Malformed → `InvalidArgument`; beyond the source → `InvalidRange`.
    static func copySourceRange(_ header: String, size: Int64) throws(S3Error) -> ByteRange {
        guard case .span(let first, let last?) = ByteRangeSpec(header: header) else {
            throw S3Error.invalidArgument("The x-amz-copy-source-range value must be of the form bytes=first-last where first and last are the zero-based offsets of the first and last bytes to copy")
        }
        guard last < size else { throw S3Error.invalidRange(size: size) }
        return ByteRange(first: first, last: last)
    }
}
