import CoreEngine
import Storage

extension SQLRow {
    /// The JSON document stored as text in column `name` (a column that does not parse reads as its text).
    func json(_ name: String) throws -> JSONValue {
        let text = try self.text(name)
        return (try? JSONValue.parse(Array(text.utf8))) ?? .string(text)
    }

    /// The JSON document in column `name`, or nil when it is NULL.
    func optionalJSON(_ name: String) throws -> JSONValue? {
        guard let text = try optionalText(name) else { return nil }
        return (try? JSONValue.parse(Array(text.utf8))) ?? .string(text)
    }
}

extension SQLValue {
    /// A JSON document as stored: its compact text.
    static func json(_ value: JSONValue) -> SQLValue { .text(value.encodedText()) }
    /// A JSON document, or NULL.
    static func optionalJSON(_ value: JSONValue?) -> SQLValue { value.map(json) ?? .null }
}
