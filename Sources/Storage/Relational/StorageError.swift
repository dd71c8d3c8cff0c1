/// Errors every storage adapter maps its native errors onto, so that callers handle one vocabulary.
public enum StorageError: Error, Sendable, Equatable, CustomStringConvertible {
    /// A UNIQUE or PRIMARY KEY constraint refused the write.
    case uniqueViolation(String)
    /// Another constraint (foreign key, NOT NULL, CHECK) refused the write.
    case constraintViolation(String)
    /// The store stayed locked past its busy timeout.
    case busy(String)
    /// The store cannot be opened or used (I/O error, bad path, permissions, corrupt file).
    case unavailable(String)
    /// The disk (or the quota) holding the store is full: nothing was written.
    case full(String)
    /// The disk answered a read, write or sync with an I/O error.
    case io(String)
    /// The SQL itself is wrong: a bug in the caller.
    case statement(String)
    /// A column did not hold the type the caller expected.
    case decoding(column: String, expected: String)
    /// The store was closed.
    case closed

    public var description: String {
        switch self {
        case .uniqueViolation(let message): "unique constraint violated: \(message)"
        case .constraintViolation(let message): "constraint violated: \(message)"
        case .busy(let message): "store busy: \(message)"
        case .unavailable(let message): "store unavailable: \(message)"
        case .full(let message): "store full: \(message)"
        case .io(let message): "store I/O error: \(message)"
        case .statement(let message): "bad SQL statement: \(message)"
        case .decoding(let column, let expected): "column \(column) does not hold \(expected)"
        case .closed: "the store is closed"
        }
    }
}
