/// The service extensions a server announced in its `EHLO` reply (RFC 5321 §4.1.1.1).
struct SMTPCapabilities: Sendable, Equatable {
    /// Keyword (upper-cased) → its parameters, e.g. `"AUTH": ["PLAIN", "LOGIN"]`.
    private(set) var extensions: [String: [String]] = [:]

    /// No extensions: what a `HELO` session has.
    init() {}

    /// Reads the extensions from a positive `EHLO` reply; its first line is the greeting, not an extension.
    init(ehloReply reply: SMTPReply) {
        for line in reply.lines.dropFirst() {
            let words = line.split(whereSeparator: { $0 == " " || $0 == "\t" })
            guard let first = words.first else { continue }
            // Some servers still announce "AUTH=LOGIN PLAIN" (pre-RFC 4954 style).
            let keyword: String
            var parameters = words.dropFirst().map { String($0).uppercased() }
            if first.uppercased().hasPrefix("AUTH=") {
                keyword = "AUTH"
                parameters.insert(String(first.dropFirst(5)).uppercased(), at: 0)
            } else {
                keyword = first.uppercased()
            }
            extensions[keyword, default: []].append(contentsOf: parameters)
        }
    }

    /// Whether the extension `keyword` (case-insensitive) was announced.
    func supports(_ keyword: String) -> Bool {
        extensions[keyword.uppercased()] != nil
    }

    /// The SASL mechanisms announced with `AUTH`, upper-cased.
    var authMechanisms: Set<String> {
        Set(extensions["AUTH"] ?? [])
    }

    /// The size limit announced with `SIZE`, when it is a positive number.
    var maximumMessageSize: Int? {
        guard let value = extensions["SIZE"]?.first, let size = Int(value), size > 0 else { return nil }
        return size
    }
}
