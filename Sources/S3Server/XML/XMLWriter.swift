/// Builds an XML document as text: elements, escaped character data, and the S3 declaration.
///
/// Only what S3 responses need: no attributes other than `xmlns`, no comments, no pretty-printing.
struct XMLWriter: Sendable {
    /// The S3 response namespace.
    static let s3Namespace = "http://s3.amazonaws.com/doc/2006-03-01/"

    private(set) var bytes: [UInt8]
    private var open: [String] = []

    /// Starts a document with `<?xml version="1.0" encoding="UTF-8"?>`.
    init() {
        bytes = Array(#"<?xml version="1.0" encoding="UTF-8"?>"#.utf8)
        bytes.append(UInt8(ascii: "\n"))
    }

    /// Opens `<name>` (with `xmlns` when given); close it with ``end()``.
    mutating func start(_ name: String, namespace: String? = nil) {
        bytes.append(UInt8(ascii: "<"))
        bytes.append(contentsOf: name.utf8)
        if let namespace {
            bytes.append(contentsOf: #" xmlns=""#.utf8)
            Self.appendEscaped(namespace, to: &bytes)
            bytes.append(UInt8(ascii: "\""))
        }
        bytes.append(UInt8(ascii: ">"))
        open.append(name)
    }

    /// Closes the innermost open element.
    mutating func end() {
        guard let name = open.popLast() else { return }
        bytes.append(contentsOf: "</".utf8)
        bytes.append(contentsOf: name.utf8)
        bytes.append(UInt8(ascii: ">"))
    }

    /// Writes `<name>` … `</name>` around what `body` writes.
    mutating func element(_ name: String, namespace: String? = nil, _ body: (inout XMLWriter) -> Void) {
        start(name, namespace: namespace)
        body(&self)
        end()
    }

    /// Writes escaped character data inside the open element.
    mutating func text(_ text: String) {
        Self.appendEscaped(text, to: &bytes)
    }

    /// Writes `<name>text</name>` with `text` escaped.
    mutating func element(_ name: String, _ text: String) {
        bytes.append(UInt8(ascii: "<"))
        bytes.append(contentsOf: name.utf8)
        bytes.append(UInt8(ascii: ">"))
        Self.appendEscaped(text, to: &bytes)
        bytes.append(contentsOf: "</".utf8)
        bytes.append(contentsOf: name.utf8)
        bytes.append(UInt8(ascii: ">"))
    }

    /// Writes `<name>text</name>` when `text` is not nil.
    mutating func element(_ name: String, ifPresent text: String?) {
        if let text { element(name, text) }
    }

    /// Writes `<name>true</name>` or `<name>false</name>`.
    mutating func element(_ name: String, _ value: Bool) {
        element(name, value ? "true" : "false")
    }

    /// Writes `<name>n</name>`.
    mutating func element(_ name: String, _ value: some BinaryInteger) {
        element(name, String(value))
    }

    /// The finished document (closing whatever is still open).
    mutating func finish() -> [UInt8] {
        while !open.isEmpty { end() }
        return bytes
    }

    /// Escapes `&`, `<`, `>`, `"`, `'` and makes control characters that XML 1.0 cannot carry
    /// visible as character references (tab, LF and CR are kept as references so they survive).
    static func escape(_ text: String) -> String {
        var out: [UInt8] = []
        appendEscaped(text, to: &out)
        return String(decoding: out, as: UTF8.self)
    }

    static func appendEscaped(_ text: String, to out: inout [UInt8]) {
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "&"): out.append(contentsOf: "&amp;".utf8)
            case UInt8(ascii: "<"): out.append(contentsOf: "&lt;".utf8)
            case UInt8(ascii: ">"): out.append(contentsOf: "&gt;".utf8)
            case UInt8(ascii: "\""): out.append(contentsOf: "&quot;".utf8)
            case UInt8(ascii: "'"): out.append(contentsOf: "&apos;".utf8)
            case 0x09, 0x0A, 0x0D, 0x00..<0x20:
                // Character references keep whitespace from being normalised by parsers; other
                // control characters are not legal in XML 1.0 even as references, but clients
                // (botocore, the AWS SDKs) accept them and S3 itself emits them this way.
                out.append(contentsOf: "&#x".utf8)
                let hex = Array("0123456789ABCDEF".utf8)
                if byte >= 0x10 { out.append(hex[Int(byte >> 4)]) }
                out.append(hex[Int(byte & 0x0F)])
                out.append(UInt8(ascii: ";"))
            default: out.append(byte)
            }
        }
    }
}
