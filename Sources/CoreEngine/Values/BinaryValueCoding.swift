/// A compact, self-describing binary form of ``JSONValue`` for data only the appliance reads back
/// (stored engine state). Independent of Swift memory layout: a tag byte per value, lengths and
/// integers as LEB128 varints (integers zigzag-encoded), doubles as their IEEE-754 bits, little
/// endian, strings as UTF-8.
///
/// | tag | value |
/// |-----|-------|
/// | 0 | null |
/// | 1, 2 | false, true |
/// | 3 | integer: zigzag varint |
/// | 4 | double: 8 bytes |
/// | 5 | string: varint length, UTF-8 bytes |
/// | 6 | array: varint count, values |
/// | 7 | object: varint count, (string body, value) pairs |
struct BinaryWriter {
    private(set) var bytes: [UInt8] = []

    init(capacity: Int = 1024) { bytes.reserveCapacity(capacity) }

    mutating func byte(_ value: UInt8) { bytes.append(value) }

    mutating func varint(_ value: UInt64) {
        var value = value
        while value >= 0x80 {
            bytes.append(UInt8(truncatingIfNeeded: value) | 0x80)
            value >>= 7
        }
        bytes.append(UInt8(value))
    }

    mutating func count(_ value: Int) { varint(UInt64(max(value, 0))) }

    mutating func integer(_ value: Int64) { varint(UInt64(bitPattern: (value << 1) ^ (value >> 63))) }

    mutating func string(_ text: String) {
        var text = text
        text.withUTF8 { utf8 in
            count(utf8.count)
            bytes.append(contentsOf: utf8)
        }
    }

    mutating func optionalString(_ text: String?) {
        if let text { byte(1); string(text) } else { byte(0) }
    }

    mutating func value(_ value: JSONValue) {
        switch value {
        case .null: byte(0)
        case .bool(let flag): byte(flag ? 2 : 1)
        case .integer(let number): byte(3); integer(number)
        case .double(let number):
            byte(4)
            let bits = number.bitPattern
            for shift in stride(from: 0, to: 64, by: 8) { bytes.append(UInt8(truncatingIfNeeded: bits >> UInt64(shift))) }
        case .string(let text): byte(5); string(text)
        case .array(let items):
            byte(6)
            count(items.count)
            for item in items { self.value(item) }
        case .object(let fields):
            byte(7)
            object(fields)
        }
    }

    /// An object's body without its tag: count, then key/value pairs.
    mutating func object(_ fields: [String: JSONValue]) {
        count(fields.count)
        for (key, item) in fields {
            string(key)
            value(item)
        }
    }
}

/// Reads what ``BinaryWriter`` wrote. Total on any input: truncated or corrupt bytes throw
/// ``BinaryReadError``, never trap; nesting is bounded and counts are checked against the bytes
/// left, so a forged length cannot make it allocate.
struct BinaryReader {
    static let maxDepth = 512

    private let bytes: UnsafeRawBufferPointer
    private(set) var offset = 0

    init(_ bytes: UnsafeRawBufferPointer) { self.bytes = bytes }

    var isAtEnd: Bool { offset == bytes.count }

    mutating func byte() throws(BinaryReadError) -> UInt8 {
        guard offset < bytes.count else { throw BinaryReadError(reason: "truncated", offset: offset) }
        defer { offset += 1 }
        return bytes[offset]
    }

    mutating func varint() throws(BinaryReadError) -> UInt64 {
        var result: UInt64 = 0
        var shift: UInt64 = 0
        while true {
            let next = try byte()
            guard shift < 64, shift < 63 || next <= 1 else { throw BinaryReadError(reason: "varint too long", offset: offset) }
            result |= UInt64(next & 0x7F) << shift
            if next < 0x80 { return result }
            shift += 7
        }
    }

    /// A count of things each at least one byte long: never more than the bytes left.
    mutating func count() throws(BinaryReadError) -> Int {
        let value = try varint()
        guard value <= UInt64(bytes.count - offset) else { throw BinaryReadError(reason: "count beyond the end", offset: offset) }
        return Int(value)
    }

    mutating func integer() throws(BinaryReadError) -> Int64 {
        let raw = try varint()
        return Int64(bitPattern: (raw >> 1) ^ (0 &- (raw & 1)))
    }

    mutating func int() throws(BinaryReadError) -> Int {
        Int(try integer())
    }

    mutating func string() throws(BinaryReadError) -> String {
        let length = try count()
        defer { offset += length }
        return String(decoding: UnsafeRawBufferPointer(rebasing: bytes[offset..<offset + length]), as: UTF8.self)
    }

    mutating func optionalString() throws(BinaryReadError) -> String? {
        switch try byte() {
        case 0: return nil
        case 1: return try string()
        default: throw BinaryReadError(reason: "bad optional flag", offset: offset - 1)
        }
    }

    mutating func value(depth: Int = 0) throws(BinaryReadError) -> JSONValue {
        guard depth < Self.maxDepth else { throw BinaryReadError(reason: "nesting too deep", offset: offset) }
        let tag = try byte()
        switch tag {
        case 0: return .null
        case 1: return .bool(false)
        case 2: return .bool(true)
        case 3: return .integer(try integer())
        case 4:
            guard bytes.count - offset >= 8 else { throw BinaryReadError(reason: "truncated double", offset: offset) }
            var bits: UInt64 = 0
            for index in 0..<8 { bits |= UInt64(bytes[offset + index]) << UInt64(index * 8) }
            offset += 8
            return .double(Double(bitPattern: bits))
        case 5: return .string(try string())
        case 6:
            let count = try count()
            var items: [JSONValue] = []
            items.reserveCapacity(count)
            for _ in 0..<count { items.append(try value(depth: depth + 1)) }
            return .array(items)
        case 7: return .object(try object(depth: depth + 1))
        default: throw BinaryReadError(reason: "unknown tag \(tag)", offset: offset - 1)
        }
    }

    mutating func object(depth: Int = 0) throws(BinaryReadError) -> [String: JSONValue] {
        let count = try count()
        var fields = [String: JSONValue](minimumCapacity: count)
        for _ in 0..<count {
            let key = try string()
            guard fields.updateValue(try value(depth: depth), forKey: key) == nil else {
                throw BinaryReadError(reason: "duplicate key", offset: offset)
            }
        }
        return fields
    }
}

/// Bytes that ``BinaryReader`` could not read.
struct BinaryReadError: Error, Sendable {
    let reason: String
    let offset: Int
}
