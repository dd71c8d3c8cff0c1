import Foundation

/// The stored form of ``LocalObjectIndex/ObjectRecord``: read on every GET and listed entry,
/// written on every PUT, so it is a compact binary form rather than JSON (Foundation's coders
/// cost more than the LMDB lookup itself).
///
/// Layout: the byte 0x01, then bucket, key, size, etag, content type?, metadata count and pairs,
/// last-modified (bits of `timeIntervalSinceReferenceDate`), part count?, blob, inline content?.
/// Strings and byte strings are a LEB128 length and the bytes; integers LEB128 (zig-zag);
/// optionals a 0/1 byte first. Records written as JSON by earlier versions (they start with `{`)
/// are still read. Decoding checks every length: a damaged record throws, it never traps.
extension LocalObjectIndex.ObjectRecord {
    static let binaryFormat: UInt8 = 0x01

    func encoded() -> [UInt8] {
        var writer = RecordWriter()
        writer.bytes.append(Self.binaryFormat)
        writer.string(info.bucket)
        writer.string(info.key)
        writer.integer(info.size)
        writer.string(info.etag)
        writer.optional(info.contentType) { $0.string($1) }
        writer.integer(Int64(info.metadata.count))
        for (name, value) in info.metadata.sorted(by: { $0.key < $1.key }) {
            writer.string(name)
            writer.string(value)
        }
        writer.unsigned(info.lastModified.timeIntervalSinceReferenceDate.bitPattern)
        writer.optional(info.partCount) { $0.integer(Int64($1)) }
        writer.string(blob)
        writer.optional(inlineContent) { $0.data($1) }
        return writer.bytes
    }

    static func decode(_ stored: [UInt8], withContent: Bool = true) throws -> Self {
        try stored.withUnsafeBytes { try decode($0, withContent: withContent) }
    }

    /// The record; `withContent: false` skips an inline object's bytes (listings need only the info).
    static func decode(_ bytes: UnsafeRawBufferPointer, withContent: Bool = true) throws -> Self {
        if bytes.first == UInt8(ascii: "{") { return try LocalObjectIndex.decode(Self.self, bytes) }
        var reader = RecordReader(bytes: bytes)
        guard try reader.byte() == binaryFormat else { throw RecordReader.damaged }
        let bucket = try reader.string(), key = try reader.string(), size = try reader.integer(), etag = try reader.string()
        let contentType = try reader.optional { try $0.string() }
        let count = try reader.integer()
        guard (0...Int64(bytes.count)).contains(count) else { throw RecordReader.damaged }
        var metadata: [String: String] = [:]
        for _ in 0..<count { metadata[try reader.string()] = try reader.string() }
        let lastModified = Date(timeIntervalSinceReferenceDate: Double(bitPattern: try reader.unsigned()))
        let partCount = try reader.optional { try $0.integer() }.map { Int(clamping: $0) }
        let blob = try reader.string()
        let inline = withContent ? try reader.optional { try $0.data() } : nil
        guard reader.atEnd || !withContent else { throw RecordReader.damaged }
        let info = ObjectInfo(bucket: bucket, key: key, size: size, etag: etag, contentType: contentType, metadata: metadata,
                              lastModified: lastModified, partCount: partCount)
        return Self(info: info, blob: blob, inlineContent: inline)
    }
}

private struct RecordWriter {
    var bytes: [UInt8] = []

    mutating func unsigned(_ value: UInt64) {
        var value = value
        repeat {
            let low = UInt8(value & 0x7F)
            value >>= 7
            bytes.append(value == 0 ? low : low | 0x80)
        } while value != 0
    }

    mutating func integer(_ value: Int64) {
        unsigned(UInt64(bitPattern: (value << 1) ^ (value >> 63)))  // zig-zag
    }

    mutating func string(_ text: String) {
        unsigned(UInt64(text.utf8.count))
        bytes.append(contentsOf: text.utf8)
    }

    mutating func data(_ data: Data) {
        unsigned(UInt64(data.count))
        bytes.append(contentsOf: data)
    }

    mutating func optional<T>(_ value: T?, _ write: (inout RecordWriter, T) -> Void) {
        guard let value else { return bytes.append(0) }
        bytes.append(1)
        write(&self, value)
    }
}

private struct RecordReader {
    static let damaged = ObjectStoreIOError(operation: "decode an object index record (damaged)", code: EILSEQ)
    let bytes: UnsafeRawBufferPointer
    var offset = 0

    var atEnd: Bool { offset == bytes.count }

    mutating func byte() throws -> UInt8 {
        guard offset < bytes.count else { throw Self.damaged }
        defer { offset += 1 }
        return bytes[offset]
    }

    mutating func unsigned() throws -> UInt64 {
        var value: UInt64 = 0
        for shift in stride(from: 0, to: 64, by: 7) {
            let next = try byte()
            value |= UInt64(next & 0x7F) << UInt64(shift)
            if next & 0x80 == 0 { return value }
        }
        throw Self.damaged
    }

    mutating func integer() throws -> Int64 {
        let raw = try unsigned()
        return Int64(bitPattern: (raw >> 1) ^ (0 &- (raw & 1)))
    }

    mutating func slice() throws -> Slice<UnsafeRawBufferPointer> {
        let length = try unsigned()
        guard length <= UInt64(bytes.count - offset) else { throw Self.damaged }
        defer { offset += Int(length) }
        return bytes[offset..<offset + Int(length)]
    }

    mutating func string() throws -> String {
        let slice = try slice()
        guard let text = String(validating: slice, as: UTF8.self) else { throw Self.damaged }
        return text
    }

    mutating func data() throws -> Data { Data(try slice()) }

    mutating func optional<T>(_ read: (inout RecordReader) throws -> T) throws -> T? {
        switch try byte() {
        case 0: return nil
        case 1: return try read(&self)
        default: throw Self.damaged
        }
    }
}
