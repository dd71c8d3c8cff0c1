import Hummingbird
import Storage

/// DeleteObjects (`POST /bucket?delete`).
extension S3Handler {
    func deleteObjects(_ call: S3Call) async throws -> Response {
        let bucket = try call.bucket()
        // 1,000 keys of up to 1 KiB each, plus markup.
        let request = try RequestDocuments.deleteRequest(try await call.collectBody(limit: 2 << 20))
        _ = try await store.bucket(bucket, tenant: call.tenant)

        var deleted: [String] = []
        var failed: [(key: String, error: S3Error)] = []
        for key in request.keys {
            do {
                try S3Call.validateKey(key)
                try await store.deleteObject(bucket: bucket, key: key, tenant: call.tenant)
                deleted.append(key)
            } catch {
                failed.append((key, S3Error.from(error, logger: call.logger)))
            }
        }

        var xml = XMLWriter()
        xml.element("DeleteResult", namespace: XMLWriter.s3Namespace) { xml in
            if !request.quiet {
                for key in deleted {
                    xml.element("Deleted") { $0.element("Key", key) }
                }
            }
            for (key, error) in failed {
                xml.element("Error") { xml in
                    xml.element("Key", key)
                    xml.element("Code", error.code)
                    xml.element("Message", error.message)
                }
            }
        }
        return S3Response.xml(xml.finish())
    }
}
