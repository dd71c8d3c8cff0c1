import Hummingbird
import Storage

/// Reads the content type and user metadata (`x-amz-meta-*`) a write request carries.
enum ObjectAttributesReader {
    /// The S3 limit on user metadata: names and values together, in bytes.
    static let maxMetadataBytes = 2048
    static let metaPrefix = "x-amz-meta-"

    /// The attributes of `headers`; more than 2 KiB of metadata throws ``S3Error`` `MetadataTooLarge`.
    static func attributes(from headers: HTTPFields) throws(S3Error) -> ObjectAttributes {
        var metadata: [String: String] = [:]
        var total = 0
        for field in headers {
            let name = field.name.canonicalName
            guard name.hasPrefix(metaPrefix), name.count > metaPrefix.count else { continue }
            let key = String(name.dropFirst(metaPrefix.count))
            total += key.utf8.count + field.value.utf8.count
            if let existing = metadata[key] {
                metadata[key] = existing + "," + field.value
            } else {
                metadata[key] = field.value
            }
        }
        guard total <= maxMetadataBytes else {
            throw S3Error("MetadataTooLarge", .badRequest, "Your metadata headers exceed the maximum allowed metadata size.")
        }
        let contentType = headers[.contentType].flatMap { $0.isEmpty ? nil : $0 }
        return ObjectAttributes(contentType: contentType, metadata: metadata)
    }
}
