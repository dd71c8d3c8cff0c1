/// Slugs: short, lower-case, URL-safe names.
public enum Slug {
    public static let pattern = "^[a-z0-9][a-z0-9-]{0,62}$"

    public static func isValid(_ text: String) -> Bool {
        guard let first = text.utf8.first, text.utf8.count <= 63 else { return false }
        let allowed: (UInt8) -> Bool = { (0x61...0x7a).contains($0) || (0x30...0x39).contains($0) || $0 == 0x2d }
        return first != 0x2d && text.utf8.allSatisfy(allowed)
    }

    /// A slug derived from a display name ("Invoice Approval!" → "invoice-approval").
    public static func derive(from name: String) -> String {
        var result = ""
        for scalar in name.lowercased().unicodeScalars {
            if scalar.isASCII, scalar.properties.isAlphabetic || ("0"..."9").contains(scalar) {
                result.unicodeScalars.append(scalar)
            } else if !result.isEmpty, !result.hasSuffix("-") {
                result += "-"
            }
        }
        while result.hasSuffix("-") { result.removeLast() }
        let trimmed = String(result.prefix(63))
        return trimmed.isEmpty ? "core" : trimmed
    }
}
