import Hummingbird
import Storage

/// DeleteObjects (`POST /bucket?delete`).
extension S3Handler {
    func deleteObjects(_ call: S3Call) async throws -> Response {
        let bucket = try call.bucket()
        // 1,000 keys of up to 1 KiB each, plus markup.
        let request = try RequestDocuments.deleteRequest(try await call.collectBody(limit: 2 << 20))
        _ = try await store.bucket(bucket, tenant: call.tenant)

        // The deletes run concurrently (at most 64 at a time) so that the store's writer commits
        // them together: one durable commit per batch instead of one per key.
        var outcomes = [S3Error?](repeating: nil, count: request.keys.count)
        try await withThrowingTaskGroup(of: (Int, S3Error?).self) { group in
            var next = 0
            func launch() {
                let index = next
                let key = request.keys[index]
                next += 1
                group.addTask { [store, tenant = call.tenant, logger = call.logger] in
                    do {
                        try S3Call.validateKey(key)
                        try await store.deleteObject(bucket: bucket, key: key, tenant: tenant)
                        return (index, nil)
                    } catch {
                        return (index, S3Error.from(error, logger: logger))
                    }
                }
            }
            while next < min(64, request.keys.count) { launch() }
            for try await (index, error) in group {
                outcomes[index] = error
                if next < request.keys.count { launch() }
            }
        }
        let deleted = zip(request.keys, outcomes).filter { $0.1 == nil }.map(\.0)
        let failed = zip(request.keys, outcomes).compactMap { key, error in error.map { (key: key, error: $0) } }

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
