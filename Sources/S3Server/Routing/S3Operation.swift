import HTTPTypes

/// The S3 operations the listener implements.
enum S3Operation: String, Sendable, Equatable, CaseIterable {
    case listBuckets = "ListBuckets"
    case createBucket = "CreateBucket"
    case deleteBucket = "DeleteBucket"
    case headBucket = "HeadBucket"
    case getBucketLocation = "GetBucketLocation"
    case listObjects = "ListObjects"
    case listObjectsV2 = "ListObjectsV2"
    case listMultipartUploads = "ListMultipartUploads"
    case deleteObjects = "DeleteObjects"
    case putObject = "PutObject"
    case copyObject = "CopyObject"
    case getObject = "GetObject"
    case headObject = "HeadObject"
    case deleteObject = "DeleteObject"
    case createMultipartUpload = "CreateMultipartUpload"
    case uploadPart = "UploadPart"
    case uploadPartCopy = "UploadPartCopy"
    case completeMultipartUpload = "CompleteMultipartUpload"
    case abortMultipartUpload = "AbortMultipartUpload"
    case listParts = "ListParts"

    /// Whether the operation reads a request body (the others ignore and drain it).
    var readsBody: Bool {
        switch self {
        case .createBucket, .deleteObjects, .putObject, .uploadPart, .completeMultipartUpload: true
        default: false
        }
    }

    /// Query parameters naming S3 features this listener does not implement; a request carrying one
    /// is answered 501 NotImplemented.
    static let unsupportedSubresources: Set<String> = [
        "accelerate", "acl", "analytics", "attributes", "cors", "encryption", "intelligent-tiering", "inventory",
        "legal-hold", "lifecycle", "logging", "metadataConfiguration", "metadataTable", "metrics", "notification",
        "object-lock", "ownershipControls", "policy", "policyStatus", "publicAccessBlock", "replication", "requestPayment",
        "restore", "retention", "select", "select-type", "session", "tagging", "torrent", "versioning", "versions",
        "website", "renameObject",
    ]

    /// The operation for a method on a target (bucket and key presence plus query subresources).
    /// Throws ``S3Error`` `NotImplemented` for a feature outside the implemented set and
    /// `MethodNotAllowed` for a method the resource does not take.
    static func resolve(method: HTTPRequest.Method, target: RequestTarget, headers: HTTPFields) throws(S3Error) -> S3Operation {
        let query = target.query
        if let unsupported = query.names.first(where: { unsupportedSubresources.contains($0) }) {
            throw S3Error.notImplemented("The '\(unsupported)' subresource is not implemented by this server.")
        }
        guard target.bucket != nil else {
            guard method == .get else { throw S3Error.methodNotAllowed(method.rawValue, allowed: ["GET"]) }
            return .listBuckets
        }
        guard target.key != nil else { return try bucketOperation(method: method, query: query) }
        return try objectOperation(method: method, query: query, headers: headers)
    }

    private static func bucketOperation(method: HTTPRequest.Method, query: QueryParameters) throws(S3Error) -> S3Operation {
        switch method {
        case .get:
            if query.has("uploads") { return .listMultipartUploads }
            if query.has("location") { return .getBucketLocation }
            if let listType = query["list-type"] {
                guard listType == "2" else { throw S3Error.invalidArgument("Invalid list-type '\(listType)'; only 2 is supported") }
                return .listObjectsV2
            }
            return .listObjects
        case .head:
            return .headBucket
        case .put:
            return .createBucket
        case .delete:
            return .deleteBucket
        case .post:
            if query.has("delete") { return .deleteObjects }
            throw S3Error.notImplemented("POST on a bucket is implemented only for ?delete (DeleteObjects).")
        case .options:
            throw S3Error.notImplemented("CORS is not implemented by this server.")
        default:
            throw S3Error.methodNotAllowed(method.rawValue, allowed: ["GET", "HEAD", "PUT", "DELETE", "POST"])
        }
    }

    private static func objectOperation(method: HTTPRequest.Method, query: QueryParameters, headers: HTTPFields) throws(S3Error) -> S3Operation {
        let hasUploadID = query.has("uploadId")
        switch method {
        case .get:
            return hasUploadID ? .listParts : .getObject
        case .head:
            return .headObject
        case .put:
            let copySource = headers[HTTPField.Name.amzCopySource] != nil
            if query.has("partNumber") || hasUploadID {
                guard query.has("partNumber"), hasUploadID else {
                    throw S3Error.invalidArgument("UploadPart needs both partNumber and uploadId")
                }
                return copySource ? .uploadPartCopy : .uploadPart
            }
            return copySource ? .copyObject : .putObject
        case .post:
            if query.has("uploads") { return .createMultipartUpload }
            if hasUploadID { return .completeMultipartUpload }
            throw S3Error.notImplemented("POST on an object is implemented only for ?uploads and ?uploadId.")
        case .delete:
            return hasUploadID ? .abortMultipartUpload : .deleteObject
        case .options:
            throw S3Error.notImplemented("CORS is not implemented by this server.")
        default:
            throw S3Error.methodNotAllowed(method.rawValue, allowed: ["GET", "HEAD", "PUT", "DELETE", "POST"])
        }
    }
}
