import CLMDB

/// Every error an LMDB call can return, typed. Unknown codes keep their number and LMDB's text.
public enum LMDBError: Error, Sendable, Equatable, CustomStringConvertible {
    case keyExists
    case notFound
    case mapFull
    case mapResized
    case readersFull
    case transactionFull
    case databasesFull
    case corrupted
    case versionMismatch
    case invalid
    case badTransaction
    case badValueSize
    case badDatabase
    /// Any other code: an errno (ENOSPC, EACCES, ...) or a rarer MDB code.
    case other(code: Int32, message: String)

    init(code: Int32) {
        switch code {
        case MDB_KEYEXIST: self = .keyExists
        case MDB_NOTFOUND: self = .notFound
        case MDB_MAP_FULL: self = .mapFull
        case MDB_MAP_RESIZED: self = .mapResized
        case MDB_READERS_FULL: self = .readersFull
        case MDB_TXN_FULL: self = .transactionFull
        case MDB_DBS_FULL: self = .databasesFull
        case MDB_CORRUPTED, MDB_PAGE_NOTFOUND: self = .corrupted
        case MDB_VERSION_MISMATCH: self = .versionMismatch
        case MDB_INVALID: self = .invalid
        case MDB_BAD_TXN: self = .badTransaction
        case MDB_BAD_VALSIZE: self = .badValueSize
        case MDB_BAD_DBI: self = .badDatabase
        default: self = .other(code: code, message: String(cString: mdb_strerror(code)))
        }
    }

    public var description: String {
        switch self {
        case .keyExists: "LMDB: key exists"
        case .notFound: "LMDB: not found"
        case .mapFull: "LMDB: map full"
        case .mapResized: "LMDB: map resized by another process"
        case .readersFull: "LMDB: too many concurrent readers"
        case .transactionFull: "LMDB: transaction too large"
        case .databasesFull: "LMDB: too many named databases"
        case .corrupted: "LMDB: the environment is corrupted"
        case .versionMismatch: "LMDB: the environment was written by another LMDB version"
        case .invalid: "LMDB: not an LMDB file"
        case .badTransaction: "LMDB: transaction can no longer be used"
        case .badValueSize: "LMDB: key or value too large"
        case .badDatabase: "LMDB: bad database handle"
        case .other(let code, let message): "LMDB error \(code): \(message)"
        }
    }
}

/// Throws the typed error for a non-zero LMDB return code.
@inline(__always)
func check(_ code: Int32) throws(LMDBError) {
    if code != 0 { throw LMDBError(code: code) }
}
