import Foundation
@testable import Storage
import Testing

/// The stored form of the local object store's index records (ObjectRecordCoding.swift).
@Suite struct ObjectRecordCodingTests {
    static let full = LocalObjectIndex.ObjectRecord(
        info: ObjectInfo(bucket: "bucket-a", key: "folder/ключ ✓ 0", size: 1 << 40, etag: "d41d8cd98f00b204e9800998ecf8427e-3",
                         contentType: "text/plain; charset=utf-8", metadata: ["b": "2", "a": "", "ü": "x\u{0}y"],
                         lastModified: Date(timeIntervalSinceReferenceDate: 786_000_123.456_789), partCount: 3),
        blob: "0123456789abcdef0123456789abcdef", inlineContent: nil)
    static let inline = LocalObjectIndex.ObjectRecord(
        info: ObjectInfo(bucket: "b", key: "k", size: 3, etag: "e", contentType: nil, metadata: [:],
                         lastModified: Date(timeIntervalSince1970: -5), partCount: nil),
        blob: "", inlineContent: Data([0, 0xFF, 7]))

    private static func same(_ a: LocalObjectIndex.ObjectRecord, _ b: LocalObjectIndex.ObjectRecord) -> Bool {
        a.info == b.info && a.blob == b.blob && a.inlineContent == b.inlineContent
    }

    @Test func roundTripsEveryField() throws {
        for record in [Self.full, Self.inline] {
            let bytes = record.encoded()
            #expect(bytes.first == LocalObjectIndex.ObjectRecord.binaryFormat)
            #expect(Self.same(try LocalObjectIndex.ObjectRecord.decode(bytes), record))
        }
        #expect(Self.full.encoded() == Self.full.encoded(), "metadata is written in a fixed order")
        // A listing reads the record without an inline object's bytes.
        let listed = try LocalObjectIndex.ObjectRecord.decode(Self.inline.encoded(), withContent: false)
        #expect(listed.info == Self.inline.info && listed.inlineContent == nil)
    }

    @Test func readsRecordsWrittenAsJSONByEarlierVersions() throws {
        let json = Array(try JSONEncoder().encode(Self.full))
        #expect(Self.same(try LocalObjectIndex.ObjectRecord.decode(json), Self.full))
    }

    @Test func damagedRecordsThrowAndNeverTrap() {
        let bytes = Self.full.encoded()
        for length in 0..<bytes.count {
            #expect(throws: (any Error).self) { try LocalObjectIndex.ObjectRecord.decode(Array(bytes.prefix(length))) }
        }
        #expect(throws: (any Error).self) { try LocalObjectIndex.ObjectRecord.decode(bytes + [0]) }
        // Every single-byte change either throws or decodes to some record: never a crash.
        for index in bytes.indices {
            for value: UInt8 in [0x00, 0x7F, 0x80, 0xFF] {
                var damaged = bytes
                damaged[index] = value
                _ = try? LocalObjectIndex.ObjectRecord.decode(damaged)
            }
        }
        // A forged huge length is refused, not allocated.
        #expect(throws: (any Error).self) { try LocalObjectIndex.ObjectRecord.decode([1, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x7F]) }
    }
}
