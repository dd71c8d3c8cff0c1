/// The decoded parameters of a request's query string, in order (names may repeat).
struct QueryParameters: Sendable, Equatable {
    /// One `name[=value]` item; `value` is "" for a bare name such as `?uploads`.
    struct Item: Sendable, Equatable {
        var name: String
        var value: String
    }

    private(set) var items: [Item]

    init(_ items: [Item] = []) {
        self.items = items
    }

    /// Parses a raw query string (without `?`): `&`-separated, `+` read as a space, `%XX` decoded.
    /// Throws ``S3Error`` `InvalidURI` for a malformed escape or bytes that are not UTF-8.
    init(parsing raw: Substring) throws(S3Error) {
        var items: [Item] = []
        for piece in raw.split(separator: "&", omittingEmptySubsequences: true) {
            let name: Substring
            let value: Substring
            if let equals = piece.firstIndex(of: "=") {
                name = piece[..<equals]
                value = piece[piece.index(after: equals)...]
            } else {
                name = piece
                value = ""
            }
            guard let decodedName = PercentDecoding.decode(name, plusAsSpace: true),
                let decodedValue = PercentDecoding.decode(value, plusAsSpace: true)
            else { throw S3Error.invalidURI("The query string is not valid percent-encoded UTF-8.") }
            items.append(Item(name: decodedName, value: decodedValue))
        }
        self.items = items
    }

    /// The first value of `name`, or nil when the parameter is absent.
    subscript(_ name: String) -> String? {
        items.first { $0.name == name }?.value
    }

    /// Whether the parameter is present (with or without a value).
    func has(_ name: String) -> Bool {
        items.contains { $0.name == name }
    }

    /// The names present.
    var names: [String] { items.map(\.name) }
}
