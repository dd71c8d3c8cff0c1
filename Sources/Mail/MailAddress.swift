/// Checks and cleans the bare addresses (`local@domain`) used in the envelope and the From/To headers.
enum MailAddress {
    /// Why `address` cannot be used, or nil when it can.
    ///
    /// Refused: CR, LF, `<`, `>`, no `@` (or nothing on one side of the last `@`), and — since the
    /// client speaks neither SMTPUTF8 nor quoted local parts — whitespace, control and non-ASCII characters.
    static func problem(with address: String) -> String? {
        if address.isEmpty { return "empty address" }
        if address.utf8.count > 254 { return "address longer than 254 bytes" }
        for byte in address.utf8 {
            switch byte {
            case UInt8(ascii: "\r"), UInt8(ascii: "\n"):
                return "address contains a line break"
            case UInt8(ascii: "<"), UInt8(ascii: ">"):
                return "address contains '<' or '>'"
            case 0..<0x21, 0x7F:
                return "address contains whitespace or a control character"
            case 0x80...:
                return "address contains non-ASCII characters"
            default:
                continue
            }
        }
        guard let at = address.lastIndex(of: "@") else { return "address has no '@'" }
        if at == address.startIndex || address.index(after: at) == address.endIndex {
            return "address has nothing before or after '@'"
        }
        return nil
    }

    /// `address` with everything removed that could break out of a header or command:
    /// line breaks, other control characters, whitespace and angle brackets.
    static func sanitized(_ address: String) -> String {
        String(
            String.UnicodeScalarView(
                address.unicodeScalars.filter { scalar in
                    scalar.value > 0x20 && scalar.value != 0x7F && !(0x80..<0xA0).contains(scalar.value)
                        && scalar != "<" && scalar != ">"
                        && scalar.properties.generalCategory != .lineSeparator
                        && scalar.properties.generalCategory != .paragraphSeparator
                }))
    }

    /// The part after the last `@`, or nil.
    static func domain(of address: String) -> String? {
        guard let at = address.lastIndex(of: "@") else { return nil }
        let domain = address[address.index(after: at)...]
        return domain.isEmpty ? nil : String(domain)
    }
}
