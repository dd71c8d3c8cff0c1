/// A value bound to, or read from, a SQL statement. The same vocabulary serves every dialect.
public enum SQLValue: Sendable, Hashable {
    case null
    case integer(Int64)
    case real(Double)
    case text(String)
    case blob([UInt8])
}

extension SQLValue: ExpressibleByStringLiteral, ExpressibleByIntegerLiteral, ExpressibleByNilLiteral {
    public init(stringLiteral value: String) { self = .text(value) }
    public init(integerLiteral value: Int64) { self = .integer(value) }
    public init(nilLiteral: ()) { self = .null }
}

extension SQLValue {
    /// `.text(value)`, or `.null` when `value` is nil.
    public static func optional(_ value: String?) -> SQLValue { value.map(SQLValue.text) ?? .null }
    /// `.integer(value)`, or `.null` when `value` is nil.
    public static func optional(_ value: Int64?) -> SQLValue { value.map(SQLValue.integer) ?? .null }
}

/// One result row: column names and values in select order.
public struct SQLRow: Sendable {
    public let columns: [String]
    public let values: [SQLValue]

    public init(columns: [String], values: [SQLValue]) {
        self.columns = columns
        self.values = values
    }

    /// The value of the column named `name`, or `.null` when the row has no such column.
    public subscript(_ name: String) -> SQLValue {
        guard let index = columns.firstIndex(of: name) else { return .null }
        return values[index]
    }

    /// The text in column `name`; throws when it is missing or not text.
    public func text(_ name: String) throws(StorageError) -> String {
        guard case .text(let value) = self[name] else { throw .decoding(column: name, expected: "text") }
        return value
    }

    /// The text in column `name`, or nil when it is NULL.
    public func optionalText(_ name: String) throws(StorageError) -> String? {
        switch self[name] {
        case .null: return nil
        case .text(let value): return value
        default: throw .decoding(column: name, expected: "text or NULL")
        }
    }

    /// The integer in column `name`; throws when it is missing or not an integer.
    public func integer(_ name: String) throws(StorageError) -> Int64 {
        guard case .integer(let value) = self[name] else { throw .decoding(column: name, expected: "integer") }
        return value
    }

    /// The integer in column `name`, or nil when it is NULL.
    public func optionalInteger(_ name: String) throws(StorageError) -> Int64? {
        switch self[name] {
        case .null: return nil
        case .integer(let value): return value
        default: throw .decoding(column: name, expected: "integer or NULL")
        }
    }
}

/// Building statements.
public enum SQLText {
    /// `?, ?, ?` for an `IN (...)` list of `count` values.
    public static func placeholders(_ count: Int) -> String {
        Array(repeating: "?", count: count).joined(separator: ", ")
    }
}
