import Logging
import Storage

extension S3Error {
    /// The S3 error for any error a handler threw: ``S3Error`` as is, ``ObjectStoreError`` by its
    /// S3 code, a ``StorageFault`` as 503 `SlowDown` (full disk) or `ServiceUnavailable` (I/O
    /// error), reported to `health` on the way, anything else `InternalError` (its detail goes
    /// only to `logger`).
    static func from(_ error: any Error, health: StorageHealth? = nil, logger: Logger) -> S3Error {
        if let fault = health?.record(ifFault: error) ?? StorageFault.of(error) {
            logger.warning("storage refused the request", metadata: ["fault": "\(fault)"])
            return fault.kind == .full ? .slowDown("\(fault); nothing was stored. Writes resume once space is freed.")
                : .serviceUnavailable("\(fault); nothing was stored. Retry shortly.")
        }
        switch error {
        case let error as S3Error:
            return error
        case let error as ObjectStoreError:
            return S3Error(error)
        default:
            logger.error("request failed", metadata: ["error": "\(String(reflecting: error))"])
            return .internalError()
        }
    }

    /// The S3 error that stands for an object-store error.
    init(_ error: ObjectStoreError) {
        switch error {
        case .noSuchBucket(let name): self = .noSuchBucket(name)
        case .noSuchKey(let key): self = .noSuchKey(key)
        case .noSuchUpload(let id): self = .noSuchUpload(id)
        case .bucketAlreadyExists(let name): self = .bucketAlreadyExists(name)
        case .bucketAlreadyOwnedByYou(let name): self = .bucketAlreadyOwnedByYou(name)
        case .bucketNotEmpty(let name): self = .bucketNotEmpty(name)
        case .accessDenied: self = .accessDenied()
        case .invalidBucketName(let reason): self = .invalidBucketName("The specified bucket is not valid: \(reason)")
        case .invalidKey(let reason):
            self = reason.contains("at most") || reason.contains("long") ? .keyTooLong() : .invalidArgument("Invalid object key: \(reason)")
        case .entityTooLarge(let limit): self = .entityTooLarge(limit: limit)
        case .entityTooSmall(let part): self = .entityTooSmall("Part \(part) is smaller than the minimum allowed size of 5 MiB")
        case .invalidPart(let part): self = .invalidPart("Part \(part) could not be found or its ETag does not match")
        case .invalidPartOrder: self = .invalidPartOrder()
        case .invalidArgument(let reason): self = .invalidArgument(reason)
        }
    }
}
