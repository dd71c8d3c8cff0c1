import Foundation
import Hummingbird
import Storage

/// ListObjects (v1) and ListObjectsV2.
extension S3Handler {
    /// The most keys one listing page returns.
    static let maxListKeys = 1000

    func listObjects(_ call: S3Call) async throws -> Response {
        let bucket = try call.bucket()
        let prefix = call.query["prefix"] ?? ""
        let delimiter = call.query["delimiter"].flatMap { $0.isEmpty ? nil : $0 }
        let marker = call.query["marker"].flatMap { $0.isEmpty ? nil : $0 }
        let maxKeys = min(try ListParameters.integer(call.query, "max-keys", default: Self.maxListKeys, range: 0...Int.max), Self.maxListKeys)
        let urlEncoded = try ListParameters.urlEncoding(call.query)
        let listing = try await list(bucket: bucket, tenant: call.tenant, prefix: prefix, delimiter: delimiter, after: marker, maxKeys: maxKeys)
        func encode(_ text: String) -> String { urlEncoded ? URLEncoding.encode(text) : text }

        var xml = XMLWriter()
        xml.element("ListBucketResult", namespace: XMLWriter.s3Namespace) { xml in
            xml.element("Name", bucket)
            xml.element("Prefix", encode(prefix))
            xml.element("Marker", encode(marker ?? ""))
            if listing.isTruncated, delimiter != nil, let next = listing.nextAfter {
                xml.element("NextMarker", encode(next))
            }
            xml.element("MaxKeys", maxKeys)
            if let delimiter { xml.element("Delimiter", encode(delimiter)) }
            if urlEncoded { xml.element("EncodingType", "url") }
            xml.element("IsTruncated", listing.isTruncated)
            Self.writeContents(listing.objects, owner: call.tenant, encode: encode, to: &xml)
            Self.writeCommonPrefixes(listing.commonPrefixes, encode: encode, to: &xml)
        }
        return S3Response.xml(xml.finish())
    }

    func listObjectsV2(_ call: S3Call) async throws -> Response {
        let bucket = try call.bucket()
        let prefix = call.query["prefix"] ?? ""
        let delimiter = call.query["delimiter"].flatMap { $0.isEmpty ? nil : $0 }
        let startAfter = call.query["start-after"].flatMap { $0.isEmpty ? nil : $0 }
        let token = call.query["continuation-token"]
        let maxKeys = min(try ListParameters.integer(call.query, "max-keys", default: Self.maxListKeys, range: 0...Int.max), Self.maxListKeys)
        let urlEncoded = try ListParameters.urlEncoding(call.query)
        let fetchOwner = call.query["fetch-owner"]?.lowercased() == "true"
        let after: String?
        if let token {
            after = try ContinuationToken.decode(token)
        } else {
            after = startAfter
        }
        let listing = try await list(bucket: bucket, tenant: call.tenant, prefix: prefix, delimiter: delimiter, after: after, maxKeys: maxKeys)
        func encode(_ text: String) -> String { urlEncoded ? URLEncoding.encode(text) : text }

        var xml = XMLWriter()
        xml.element("ListBucketResult", namespace: XMLWriter.s3Namespace) { xml in
            xml.element("Name", bucket)
            xml.element("Prefix", encode(prefix))
            if let startAfter { xml.element("StartAfter", encode(startAfter)) }
            if let token { xml.element("ContinuationToken", token) }
            if listing.isTruncated, let next = listing.nextAfter {
                xml.element("NextContinuationToken", ContinuationToken.encode(next))
            }
            xml.element("KeyCount", listing.objects.count + listing.commonPrefixes.count)
            xml.element("MaxKeys", maxKeys)
            if let delimiter { xml.element("Delimiter", encode(delimiter)) }
            if urlEncoded { xml.element("EncodingType", "url") }
            xml.element("IsTruncated", listing.isTruncated)
            Self.writeContents(listing.objects, owner: fetchOwner ? call.tenant : nil, encode: encode, to: &xml)
            Self.writeCommonPrefixes(listing.commonPrefixes, encode: encode, to: &xml)
        }
        return S3Response.xml(xml.finish())
    }

    /// One page from the store; `maxKeys` 0 answers an empty page (after checking the bucket).
    private func list(bucket: String, tenant: String, prefix: String, delimiter: String?, after: String?, maxKeys: Int) async throws -> ListingPage {
        guard maxKeys > 0 else {
            _ = try await store.bucket(bucket, tenant: tenant)
            return ListingPage(objects: [], commonPrefixes: [], isTruncated: false, nextAfter: nil)
        }
        let listing = try await store.listObjects(
            bucket: bucket, tenant: tenant, prefix: prefix, delimiter: delimiter, after: after, maxKeys: maxKeys)
        return ListingPage(
            objects: listing.objects, commonPrefixes: listing.commonPrefixes, isTruncated: listing.isTruncated, nextAfter: listing.nextAfter)
    }

    /// One page of a listing, as the response shows it.
    private struct ListingPage {
        var objects: [ObjectInfo]
        var commonPrefixes: [String]
        var isTruncated: Bool
        var nextAfter: String?
    }

    private static func writeContents(_ objects: [ObjectInfo], owner: String?, encode: (String) -> String, to xml: inout XMLWriter) {
        for object in objects {
            xml.element("Contents") { xml in
                xml.element("Key", encode(object.key))
                xml.element("LastModified", S3Timestamps.iso8601(object.lastModified))
                xml.element("ETag", S3Response.quotedETag(object.etag))
                xml.element("Size", object.size)
                if let owner { xml.writeOwner(owner) }
                xml.element("StorageClass", "STANDARD")
            }
        }
    }

    private static func writeCommonPrefixes(_ prefixes: [String], encode: (String) -> String, to xml: inout XMLWriter) {
        for prefix in prefixes {
            xml.element("CommonPrefixes") { $0.element("Prefix", encode(prefix)) }
        }
    }
}

/// The opaque `continuation-token` of ListObjectsV2: base64 of the store's `nextAfter`.
enum ContinuationToken {
    static func encode(_ after: String) -> String {
        Data(after.utf8).base64EncodedString()
    }

    /// The `after` key of a token; a token that is not ours throws ``S3Error`` `InvalidArgument`.
    static func decode(_ token: String) throws(S3Error) -> String {
        // A client that left `+` unescaped in the query has it read back as a space.
        let base64 = token.replacingOccurrences(of: " ", with: "+")
        guard let data = Data(base64Encoded: base64), let after = String(data: data, encoding: .utf8) else {
            throw S3Error.invalidArgument("The continuation token provided is incorrect")
        }
        return after
    }
}
