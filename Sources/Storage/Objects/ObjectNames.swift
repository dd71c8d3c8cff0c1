/// The naming rules of buckets and object keys, the same for every adapter.
public enum ObjectNames {
    /// Longest object key, in UTF-8 bytes (as S3).
    public static let maxKeyBytes = 1024

    /// Checks an S3 bucket name: 3–63 characters of lower-case letters, digits, `-` and `.`,
    /// starting and ending with a letter or digit, no `..`, not shaped like an IPv4 address.
    public static func validateBucket(_ name: String) throws(ObjectStoreError) {
        let bytes = Array(name.utf8)
        guard (3...63).contains(bytes.count) else { throw .invalidBucketName("a bucket name has 3 to 63 characters") }
        let allowed = bytes.allSatisfy { ($0 >= 0x61 && $0 <= 0x7A) || ($0 >= 0x30 && $0 <= 0x39) || $0 == 0x2D || $0 == 0x2E }
        guard allowed else { throw .invalidBucketName("only lower-case letters, digits, '-' and '.' are allowed") }
        guard let first = bytes.first, let last = bytes.last, isAlphanumeric(first), isAlphanumeric(last) else {
            throw .invalidBucketName("a bucket name starts and ends with a letter or digit")
        }
        guard !name.contains("..") else { throw .invalidBucketName("a bucket name has no two adjacent periods") }
        let parts = name.split(separator: ".", omittingEmptySubsequences: false)
        if parts.count == 4, parts.allSatisfy({ UInt8($0) != nil }) { throw .invalidBucketName("a bucket name is not an IP address") }
    }

    /// Checks an object key: 1 to 1,024 bytes of UTF-8 without NUL. Keys are data: nothing in a
    /// key ever becomes a file-system path.
    public static func validateKey(_ key: String) throws(ObjectStoreError) {
        let count = key.utf8.count
        guard count > 0 else { throw .invalidKey("a key must not be empty") }
        guard count <= maxKeyBytes else { throw .invalidKey("a key is at most \(maxKeyBytes) bytes") }
        guard !key.utf8.contains(0) else { throw .invalidKey("a key must not contain NUL") }
    }

    private static func isAlphanumeric(_ byte: UInt8) -> Bool { (byte >= 0x61 && byte <= 0x7A) || (byte >= 0x30 && byte <= 0x39) }
}
