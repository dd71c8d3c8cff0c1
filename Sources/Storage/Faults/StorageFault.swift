#if canImport(Glibc)
import Glibc
#endif

/// A store that cannot take a write now, whichever adapter raised it: the disk or quota holding
/// the data directory is full, or the disk answers with an I/O error. Callers answer a request
/// with it (507 `insufficient_storage`, 503 `storage_unavailable`), let a run wait and retry, and
/// report it in `/readyz` (``StorageHealth``). What was written before stays intact; writes
/// resume by themselves once the condition ends.
public struct StorageFault: Error, Sendable, Equatable, CustomStringConvertible {
    public enum Kind: String, Sendable, CaseIterable {
        /// ENOSPC, EDQUOT, SQLITE_FULL, LMDB's map unable to grow.
        case full
        /// EIO and other I/O failures (a failed fsync, a bad sector).
        case ioError = "io_error"
    }

    /// The stores faults are reported by.
    public enum Store: String, Sendable, CaseIterable {
        /// The SQLite database (the `mod_scaicore_*` tables).
        case relational
        /// The LMDB environment (Core memory, grain directory, object index).
        case lmdb
        /// The object files under `objects/`.
        case objects
    }

    public let kind: Kind
    public let store: Store
    /// The adapter's own words (no secrets: paths and error texts).
    public let detail: String

    public init(kind: Kind, store: Store, detail: String) {
        self.kind = kind
        self.store = store
        self.detail = detail
    }

    public var description: String {
        switch kind {
        case .full: "the data directory is full (\(store.rawValue): \(detail))"
        case .ioError: "a store failed with an I/O error (\(store.rawValue): \(detail))"
        }
    }

    /// The fault `error` stands for, or nil when it is something else (a bad key, a bug, a
    /// constraint): the native errors of every adapter are recognised here, in one place.
    public static func of(_ error: any Error) -> StorageFault? {
        switch error {
        case let fault as StorageFault:
            return fault
        case StorageError.full(let detail):
            return StorageFault(kind: .full, store: .relational, detail: detail)
        case StorageError.io(let detail):
            return StorageFault(kind: .ioError, store: .relational, detail: detail)
        case let error as LMDBError:
            switch error {
            case .mapFull: return StorageFault(kind: .full, store: .lmdb, detail: error.description)
            case .other(let code, _) where code == ENOSPC || code == EDQUOT: return StorageFault(kind: .full, store: .lmdb, detail: error.description)
            case .other(let code, _) where code == EIO: return StorageFault(kind: .ioError, store: .lmdb, detail: error.description)
            default: return nil
            }
        case let error as ObjectStoreIOError:
            switch error.code {
            case ENOSPC, EDQUOT: return StorageFault(kind: .full, store: .objects, detail: error.description)
            case EIO: return StorageFault(kind: .ioError, store: .objects, detail: error.description)
            default: return nil
            }
        default:
            return nil
        }
    }
}
