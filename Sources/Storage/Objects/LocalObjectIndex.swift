import Crypto
import Foundation

/// The LMDB side of ``LocalObjectStore``: databases, key encodings and stored records.
///
/// | database | key | value |
/// |---|---|---|
/// | `buckets` | bucket name | ``BucketInfo`` (JSON) |
/// | `objects` | bucket NUL key | ``LocalObjectIndex/ObjectRecord`` (binary, ObjectRecordCoding.swift) |
/// | `uploads` | bucket NUL key NUL upload id | ``LocalObjectIndex/UploadRecord`` (JSON) |
/// | `parts` | upload id NUL part number (4 bytes, big endian) | ``LocalObjectIndex/PartRecord`` (JSON) |
/// | `blobs` | blob id | empty: every blob file that a record references |
///
/// An object of at most ``LocalObjectStore/inlineLimit`` bytes has no blob file: its record holds
/// the content, so writing it is one LMDB commit, shared with concurrent writes.
///
/// LMDB keys are at most 511 bytes, S3 keys up to 1,024: a key longer than ``keyBytesInIndex``
/// is indexed as its first ``keyBytesInIndex`` bytes, the byte 0xFF (never part of UTF-8) and 16
/// bytes of its SHA-256. All long keys sharing those first bytes therefore sit together, right
/// where their order puts them; listings sort such a group by the full keys the records hold.
enum LocalObjectIndex {
    /// Key bytes kept as they are in index keys (63-byte bucket + NUL + this + 17 + NUL + a
    /// 32-byte upload id stays under LMDB's 511).
    static let keyBytesInIndex = 384
    static let longKeyMarker: UInt8 = 0xFF

    static let databases = ["buckets", "objects", "uploads", "parts", "blobs"]

    struct ObjectRecord: Codable {
        var info: ObjectInfo
        /// The blob file holding the content; empty when the content is inline.
        var blob: String
        /// The content itself, for objects of at most ``LocalObjectStore/inlineLimit`` bytes.
        var inlineContent: Data? = nil

        /// The blob file, when the content is in one.
        var blobFile: String? { blob.isEmpty ? nil : blob }
    }

    struct UploadRecord: Codable {
        var info: MultipartUploadInfo
        var tenant: String
    }

    struct PartRecord: Codable {
        var info: PartInfo
        var blob: String
        /// The part's MD5 as bytes, for the multipart ETag.
        var md5: String
    }

    static func objectKey(_ bucket: String, _ key: String) -> [UInt8] {
        Array(bucket.utf8) + [0] + keyPart(key)
    }

    /// A key as it appears in index keys (see the type's documentation).
    static func keyPart(_ key: String) -> [UInt8] {
        let bytes = Array(key.utf8)
        guard bytes.count > keyBytesInIndex else { return bytes }
        return Array(bytes.prefix(keyBytesInIndex)) + [longKeyMarker] + Array(SHA256.hash(data: bytes).prefix(16))
    }

    /// Whether a bucket-relative index key part stands for a long key.
    static func isLongKeyPart(_ part: some Collection<UInt8>) -> Bool {
        part.count > keyBytesInIndex && part.dropFirst(keyBytesInIndex).first == longKeyMarker
    }

    static func bucketPrefix(_ bucket: String) -> [UInt8] {
        Array(bucket.utf8) + [0]
    }

    static func uploadKey(_ bucket: String, _ key: String, _ uploadID: String) -> [UInt8] {
        Array(bucket.utf8) + [0] + keyPart(key) + [0] + Array(uploadID.utf8)
    }

    static func partKey(_ uploadID: String, _ number: Int) -> [UInt8] {
        Array(uploadID.utf8) + [0] + (0..<4).map { UInt8(truncatingIfNeeded: UInt32(number) >> UInt32(24 - $0 * 8)) }
    }

    static func partPrefix(_ uploadID: String) -> [UInt8] {
        Array(uploadID.utf8) + [0]
    }

    static func encode(_ value: some Encodable) throws -> [UInt8] {
        Array(try JSONEncoder().encode(value))
    }

    static func decode<T: Decodable>(_ type: T.Type, _ bytes: UnsafeRawBufferPointer) throws -> T {
        try JSONDecoder().decode(type, from: Data(bytes))
    }

    static func decode<T: Decodable>(_ type: T.Type, _ bytes: [UInt8]) throws -> T {
        try JSONDecoder().decode(type, from: Data(bytes))
    }

    /// The smallest byte string greater than every string that starts with `prefix` (nil when
    /// there is none: all 0xFF).
    static func successor(_ prefix: [UInt8]) -> [UInt8]? {
        var bytes = prefix
        while let last = bytes.last {
            if last < 0xFF {
                bytes[bytes.count - 1] = last + 1
                return bytes
            }
            bytes.removeLast()
        }
        return nil
    }
}
