import Hummingbird
import Storage

/// ListBuckets, CreateBucket, DeleteBucket, HeadBucket, GetBucketLocation.
extension S3Handler {
    func listBuckets(_ call: S3Call) async throws -> Response {
        let buckets = try await store.listBuckets(tenant: call.tenant)
        var xml = XMLWriter()
        xml.element("ListAllMyBucketsResult", namespace: XMLWriter.s3Namespace) { xml in
            xml.writeOwner(call.tenant)
            xml.element("Buckets") { xml in
                for bucket in buckets.sorted(by: { $0.name < $1.name }) {
                    xml.element("Bucket") { xml in
                        xml.element("Name", bucket.name)
                        xml.element("CreationDate", S3Timestamps.iso8601(bucket.createdAt))
                    }
                }
            }
        }
        return S3Response.xml(xml.finish())
    }

    func createBucket(_ call: S3Call) async throws -> Response {
        let bucket = try call.bucket()
        let constraint = try RequestDocuments.locationConstraint(try await call.collectBody())
        guard constraint.isEmpty || constraint == configuration.region else {
            throw S3Error.invalidLocationConstraint(expected: configuration.region)
        }
        _ = try await store.createBucket(bucket, tenant: call.tenant)
        return S3Response.empty(headers: [.location: "/\(bucket)"])
    }

    func deleteBucket(_ call: S3Call) async throws -> Response {
        try await store.deleteBucket(try call.bucket(), tenant: call.tenant)
        return S3Response.empty(status: .noContent)
    }

    func headBucket(_ call: S3Call) async throws -> Response {
        _ = try await store.bucket(try call.bucket(), tenant: call.tenant)
        return S3Response.empty(headers: [.amzBucketRegion: configuration.region])
    }

    func getBucketLocation(_ call: S3Call) async throws -> Response {
        _ = try await store.bucket(try call.bucket(), tenant: call.tenant)
        var xml = XMLWriter()
        xml.start("LocationConstraint", namespace: XMLWriter.s3Namespace)
        xml.text(configuration.region)
        xml.end()
        return S3Response.xml(xml.finish())
    }
}

extension XMLWriter {
    /// `<Owner><ID>tenant</ID><DisplayName>tenant</DisplayName></Owner>` (or another element name).
    mutating func writeOwner(_ tenant: String, element: String = "Owner") {
        self.element(element) { xml in
            xml.element("ID", tenant)
            xml.element("DisplayName", tenant)
        }
    }
}
