/// Reading the paging parameters of the listing operations.
enum ListParameters {
    /// An integer parameter: `defaultValue` when absent; not an integer or outside `range` throws
    /// ``S3Error`` `InvalidArgument`.
    static func integer(_ query: QueryParameters, _ name: String, default defaultValue: Int, range: ClosedRange<Int>) throws(S3Error) -> Int {
        guard let text = query[name] else { return defaultValue }
        guard let value = Int(text.trimmingXMLWhitespace()), range.contains(value) else {
            throw S3Error.invalidArgument("Argument \(name) must be an integer between \(range.lowerBound) and \(range.upperBound)")
        }
        return value
    }

    /// Whether `encoding-type=url` was asked for (any other value throws `InvalidArgument`).
    static func urlEncoding(_ query: QueryParameters) throws(S3Error) -> Bool {
        guard let value = query["encoding-type"] else { return false }
        guard value.lowercased() == "url" else { throw S3Error.invalidArgument("Invalid Encoding Method specified in Request") }
        return true
    }

    /// The common prefix `key` rolls up into: the key up to and including the first `delimiter`
    /// after `prefix`, or nil. Works on UTF-8 bytes, as S3 does.
    static func commonPrefix(of key: String, prefix: String, delimiter: String) -> String? {
        let keyBytes = Array(key.utf8)
        let prefixCount = prefix.utf8.count
        let delimiterBytes = Array(delimiter.utf8)
        guard !delimiterBytes.isEmpty, keyBytes.count >= prefixCount + delimiterBytes.count else { return nil }
        var index = prefixCount
        while index + delimiterBytes.count <= keyBytes.count {
            if keyBytes[index..<(index + delimiterBytes.count)].elementsEqual(delimiterBytes) {
                return String(decoding: keyBytes[..<(index + delimiterBytes.count)], as: UTF8.self)
            }
            index += 1
        }
        return nil
    }
}
