import Foundation
import Hummingbird
import Storage

/// Runs the S3 operations against the object store. One method per operation, grouped by
/// resource in the `S3Handler+*.swift` files.
struct S3Handler: Sendable {
    let store: any ObjectStore
    let configuration: S3ServerConfiguration

    /// The largest body of a PutObject.
    var objectLimit: Int64 { configuration.maxObjectBytes }
    /// The largest body of an UploadPart (S3: 5 GiB, never above the object limit).
    var partLimit: Int64 { min(configuration.maxObjectBytes, S3ServerConfiguration.maxPartBytes) }

    /// Runs the call's operation.
    func handle(_ call: S3Call) async throws -> Response {
        switch call.operation {
        case .listBuckets: try await listBuckets(call)
        case .createBucket: try await createBucket(call)
        case .deleteBucket: try await deleteBucket(call)
        case .headBucket: try await headBucket(call)
        case .getBucketLocation: try await getBucketLocation(call)
        case .listObjects: try await listObjects(call)
        case .listObjectsV2: try await listObjectsV2(call)
        case .listMultipartUploads: try await listMultipartUploads(call)
        case .deleteObjects: try await deleteObjects(call)
        case .putObject: try await putObject(call)
        case .copyObject: try await copyObject(call)
        case .getObject: try await getObject(call, head: false)
        case .headObject: try await getObject(call, head: true)
        case .deleteObject: try await deleteObject(call)
        case .createMultipartUpload: try await createMultipartUpload(call)
        case .uploadPart: try await uploadPart(call)
        case .uploadPartCopy: try await uploadPartCopy(call)
        case .completeMultipartUpload: try await completeMultipartUpload(call)
        case .abortMultipartUpload: try await abortMultipartUpload(call)
        case .listParts: try await listParts(call)
        }
    }

    /// Streams the call's body into a new staging area of at most `limit` bytes; the caller
    /// publishes it or, on any error, it is discarded here.
    func stageBody(_ call: S3Call, limit: Int64) async throws -> ObjectStaging {
        let staging = try store.stage(limit: limit)
        do {
            try await call.readBody(limit: limit) { bytes in try await staging.append(bytes) }
            return staging
        } catch {
            staging.discard()
            throw error
        }
    }
}
