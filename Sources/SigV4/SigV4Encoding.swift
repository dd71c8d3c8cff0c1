/// Percent-encoding and decoding as SigV4 defines them (RFC 3986 unreserved set, upper-case hex).
public enum SigV4Encoding {
    private static let hexDigits: [UInt8] = Array("0123456789ABCDEF".utf8)

    /// Whether `byte` is in the SigV4 unreserved set `A-Z a-z 0-9 - . _ ~`.
    public static func isUnreserved(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "A")...UInt8(ascii: "Z"),
            UInt8(ascii: "a")...UInt8(ascii: "z"),
            UInt8(ascii: "0")...UInt8(ascii: "9"),
            UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "_"), UInt8(ascii: "~"):
            return true
        default:
            return false
        }
    }

    /// `UriEncode()` of the SigV4 specification: every byte of the UTF-8 form outside the unreserved
    /// set becomes `%XX`; `/` is kept as is when `encodeSlash` is `false` (object key paths).
    public static func uriEncode(_ string: String, encodeSlash: Bool = true) -> String {
        encode(string.utf8, keepSlash: !encodeSlash)
    }

    /// Percent-encodes raw bytes (see ``uriEncode(_:encodeSlash:)``).
    public static func encode<Bytes: Sequence>(_ bytes: Bytes, keepSlash: Bool) -> String where Bytes.Element == UInt8 {
        var out: [UInt8] = []
        out.reserveCapacity(bytes.underestimatedCount)
        for byte in bytes {
            if isUnreserved(byte) || (keepSlash && byte == UInt8(ascii: "/")) {
                out.append(byte)
            } else {
                out.append(UInt8(ascii: "%"))
                out.append(hexDigits[Int(byte >> 4)])
                out.append(hexDigits[Int(byte & 0x0F)])
            }
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// Decodes `%XX` escapes into bytes; a `%` not followed by two hex digits is kept literally.
    /// With `plusAsSpace` (query strings, as form decoders and S3 servers read them) `+` becomes a space.
    public static func percentDecode<Bytes: Collection>(_ bytes: Bytes, plusAsSpace: Bool) -> [UInt8]
    where Bytes.Element == UInt8, Bytes.Index == Int {
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count)
        var index = bytes.startIndex
        while index < bytes.endIndex {
            let byte = bytes[index]
            if byte == UInt8(ascii: "%"), bytes.endIndex - index >= 3,
                let high = SigV4Hex.nibble(bytes[index + 1]), let low = SigV4Hex.nibble(bytes[index + 2])
            {
                out.append(high << 4 | low)
                index += 3
            } else if plusAsSpace && byte == UInt8(ascii: "+") {
                out.append(UInt8(ascii: " "))
                index += 1
            } else {
                out.append(byte)
                index += 1
            }
        }
        return out
    }

    /// Decodes `%XX` escapes of a string (see ``percentDecode(_:plusAsSpace:)``); invalid UTF-8 is repaired.
    public static func percentDecode(_ string: String, plusAsSpace: Bool = false) -> String {
        String(decoding: percentDecode(Array(string.utf8), plusAsSpace: plusAsSpace), as: UTF8.self)
    }
}
