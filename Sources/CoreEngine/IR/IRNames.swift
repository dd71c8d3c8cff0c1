/// The naming rules of docs/ir.md, in one place: what the validator checks and what the
/// appliance's API checks for the same kind of name (event names).
public enum IRNames {
    /// Variables and flows: `[A-Za-z_][A-Za-z0-9_]*`, at most ``maxNameLength`` characters.
    public static let maxNameLength = 64
    /// Event names, in triggers, `emit` steps and `POST /cores/{id}/events`.
    public static let maxEventNameLength = 200
    /// Step ids and the bundle's `name`.
    public static let maxTextLength = 200

    public static let eventNameRule = "use 1–200 characters of A–Z a–z 0–9 . _ : -"

    /// True for a variable or flow name.
    public static func isName(_ text: String) -> Bool {
        guard let first = text.utf8.first, text.utf8.count <= maxNameLength, first == UInt8(ascii: "_") || isLetter(first) else { return false }
        return text.utf8.allSatisfy { $0 == UInt8(ascii: "_") || isLetter($0) || isDigit($0) }
    }

    /// True for an event name: 1–200 characters of `A–Z a–z 0–9 . _ : -`.
    public static func isEventName(_ text: String) -> Bool {
        !text.isEmpty && text.utf8.count <= maxEventNameLength && text.utf8.allSatisfy { byte in
            isLetter(byte) || isDigit(byte) || byte == UInt8(ascii: ".") || byte == UInt8(ascii: "_") || byte == UInt8(ascii: ":") || byte == UInt8(ascii: "-")
        }
    }

    /// True for free text such as a step id: 1–200 characters (Unicode scalars, as JSON Schema's
    /// `maxLength` counts), none of them a control character.
    public static func isText(_ text: String) -> Bool {
        !text.isEmpty && text.unicodeScalars.count <= maxTextLength && !containsControlCharacter(text)
    }

    /// True when `text` holds a C0 or C1 control character (NUL, newline, escape, DEL, …).
    public static func containsControlCharacter(_ text: String) -> Bool {
        text.unicodeScalars.contains { $0.value < 0x20 || (0x7F...0x9F).contains($0.value) }
    }

    /// `text` for a message or a path: at most 40 characters, control characters as `?`.
    public static func shown(_ text: String) -> String {
        let cleaned = String(String.UnicodeScalarView(text.unicodeScalars.prefix(40).map { containsControlCharacter(String($0)) ? "?" : $0 }))
        return text.unicodeScalars.count > 40 ? cleaned + "…" : cleaned
    }

    private static func isLetter(_ byte: UInt8) -> Bool { (0x41...0x5A).contains(byte) || (0x61...0x7A).contains(byte) }
    private static func isDigit(_ byte: UInt8) -> Bool { (0x30...0x39).contains(byte) }
}
