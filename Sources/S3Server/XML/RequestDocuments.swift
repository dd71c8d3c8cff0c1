import Storage

/// The request documents S3 clients send, read from ``XMLElementNode`` trees.
enum RequestDocuments {
    /// The most keys one DeleteObjects request may name.
    static let maxDeleteKeys = 1000

    /// `<CreateBucketConfiguration><LocationConstraint>…` → the location constraint ("" when the
    /// element is absent or empty). An empty body means no configuration.
    static func locationConstraint(_ body: [UInt8]) throws(S3Error) -> String {
        guard !isBlank(body) else { return "" }
        let root = try XMLDocumentParser.parse(body)
        guard root.name == "CreateBucketConfiguration" else { throw S3Error.malformedXML() }
        return root.childText("LocationConstraint")?.trimmingXMLWhitespace() ?? ""
    }

    /// A parsed `<Delete>` document.
    struct DeleteRequest: Sendable, Equatable {
        var quiet: Bool
        var keys: [String]
    }

    /// `<Delete><Quiet>…</Quiet><Object><Key>…</Key></Object>…</Delete>`: 1 to 1,000 objects.
    static func deleteRequest(_ body: [UInt8]) throws(S3Error) -> DeleteRequest {
        let root = try XMLDocumentParser.parse(body)
        guard root.name == "Delete" else { throw S3Error.malformedXML() }
        let quietText = root.childText("Quiet")?.trimmingXMLWhitespace().lowercased()
        guard quietText == nil || quietText == "true" || quietText == "false" else { throw S3Error.malformedXML() }
        let objects = root.children(named: "Object")
        guard !objects.isEmpty, objects.count <= maxDeleteKeys else { throw S3Error.malformedXML() }
        var keys: [String] = []
        keys.reserveCapacity(objects.count)
        for object in objects {
            guard let key = object.childText("Key") else { throw S3Error.malformedXML() }
            keys.append(key)
        }
        return DeleteRequest(quiet: quietText == "true", keys: keys)
    }

    /// `<CompleteMultipartUpload><Part><PartNumber>n</PartNumber><ETag>…</ETag></Part>…`: at least
    /// one part, numbers 1...10,000 in strictly ascending order (``S3Error`` `InvalidPartOrder` otherwise).
    static func completedParts(_ body: [UInt8]) throws(S3Error) -> [CompletedPart] {
        let root = try XMLDocumentParser.parse(body)
        guard root.name == "CompleteMultipartUpload" else { throw S3Error.malformedXML() }
        let partNodes = root.children(named: "Part")
        guard !partNodes.isEmpty, partNodes.count <= 10_000 else { throw S3Error.malformedXML() }
        var parts: [CompletedPart] = []
        parts.reserveCapacity(partNodes.count)
        for node in partNodes {
            guard let numberText = node.childText("PartNumber")?.trimmingXMLWhitespace(), let number = Int(numberText),
                let etag = node.childText("ETag")?.trimmingXMLWhitespace()
            else { throw S3Error.malformedXML() }
            guard (1...10_000).contains(number) else { throw S3Error.invalidArgument("Part number must be an integer between 1 and 10000, inclusive") }
            if let previous = parts.last, previous.number >= number { throw S3Error.invalidPartOrder() }
            parts.append(CompletedPart(number: number, etag: etag))
        }
        return parts
    }

    private static func isBlank(_ body: [UInt8]) -> Bool {
        body.allSatisfy { $0 == 0x20 || $0 == 0x09 || $0 == 0x0A || $0 == 0x0D }
    }
}

extension StringProtocol {
    /// The text without leading and trailing XML whitespace (space, tab, CR, LF).
    func trimmingXMLWhitespace() -> String {
        let bytes = Array(utf8)
        var start = 0
        var end = bytes.count
        func isSpace(_ byte: UInt8) -> Bool { byte == 0x20 || byte == 0x09 || byte == 0x0A || byte == 0x0D }
        while start < end, isSpace(bytes[start]) { start += 1 }
        while end > start, isSpace(bytes[end - 1]) { end -= 1 }
        return String(decoding: bytes[start..<end], as: UTF8.self)
    }
}
