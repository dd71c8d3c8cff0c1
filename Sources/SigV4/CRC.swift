/// A reflected (LSB-first) table-driven CRC, processing eight bytes per step ("slicing-by-8").
/// Used for the S3 checksums CRC32, CRC32C and CRC64NVME.
struct ReflectedCRCTable<Value: FixedWidthInteger & UnsignedInteger & Sendable>: Sendable {
    /// 8 × 256 entries: table k maps a byte to its contribution k bytes further on.
    let entries: [Value]

    /// Builds the tables of the reflected polynomial `polynomial`.
    init(reflectedPolynomial polynomial: Value) {
        var entries = [Value](repeating: 0, count: 8 * 256)
        for byte in 0..<256 {
            var crc = Value(byte)
            for _ in 0..<8 {
                crc = (crc & 1) == 1 ? (crc >> 1) ^ polynomial : crc >> 1
            }
            entries[byte] = crc
        }
        for slice in 1..<8 {
            for byte in 0..<256 {
                let previous = entries[(slice - 1) * 256 + byte]
                entries[slice * 256 + byte] = (previous >> 8) ^ entries[Int(truncatingIfNeeded: previous & 0xFF)]
            }
        }
        self.entries = entries
    }

    /// Continues the (pre-inverted) register `crc` over `bytes`.
    func update(_ crc: Value, _ bytes: UnsafeRawBufferPointer) -> Value {
        let width = Value.bitWidth / 8
        var crc = crc
        var index = 0
        let count = bytes.count
        entries.withUnsafeBufferPointer { table in
            while count - index >= 8 {
                var next: Value = 0
                for lane in 0..<8 {
                    var byte = bytes[index + lane]
                    if lane < width {
                        byte ^= UInt8(truncatingIfNeeded: crc >> (8 * lane))
                    }
                    next ^= table[(7 - lane) * 256 + Int(byte)]
                }
                // Every bit of the register was folded into the first `width` lanes.
                crc = next
                index += 8
            }
            while index < count {
                crc = table[Int(UInt8(truncatingIfNeeded: crc) ^ bytes[index])] ^ (crc >> 8)
                index += 1
            }
        }
        return crc
    }
}

private let crc32Table = ReflectedCRCTable<UInt32>(reflectedPolynomial: 0xEDB8_8320)
private let crc32cTable = ReflectedCRCTable<UInt32>(reflectedPolynomial: 0x82F6_3B78)
private let crc64NVMETable = ReflectedCRCTable<UInt64>(reflectedPolynomial: 0x9A6C_9329_AC4B_C9B5)

/// CRC-32 (ISO-HDLC, as zlib; reflected polynomial 0xEDB88320), the S3 `x-amz-checksum-crc32`.
public struct CRC32: Sendable {
    private var register: UInt32 = 0xFFFF_FFFF

    /// Starts a new checksum.
    public init() {}

    /// Adds `bytes` to the checksum.
    public mutating func update(_ bytes: UnsafeRawBufferPointer) {
        register = crc32Table.update(register, bytes)
    }

    /// Adds `bytes` to the checksum.
    public mutating func update(_ bytes: [UInt8]) {
        bytes.withUnsafeBytes { update($0) }
    }

    /// The checksum of everything added so far.
    public var value: UInt32 { register ^ 0xFFFF_FFFF }

    /// The checksum of `bytes`.
    public static func checksum(_ bytes: [UInt8]) -> UInt32 {
        var crc = CRC32()
        crc.update(bytes)
        return crc.value
    }
}

/// CRC-32C (Castagnoli; reflected polynomial 0x82F63B78), the S3 `x-amz-checksum-crc32c`.
public struct CRC32C: Sendable {
    private var register: UInt32 = 0xFFFF_FFFF

    /// Starts a new checksum.
    public init() {}

    /// Adds `bytes` to the checksum.
    public mutating func update(_ bytes: UnsafeRawBufferPointer) {
        register = crc32cTable.update(register, bytes)
    }

    /// Adds `bytes` to the checksum.
    public mutating func update(_ bytes: [UInt8]) {
        bytes.withUnsafeBytes { update($0) }
    }

    /// The checksum of everything added so far.
    public var value: UInt32 { register ^ 0xFFFF_FFFF }

    /// The checksum of `bytes`.
    public static func checksum(_ bytes: [UInt8]) -> UInt32 {
        var crc = CRC32C()
        crc.update(bytes)
        return crc.value
    }
}

/// CRC-64/NVME (reflected polynomial 0x9A6C9329AC4BC9B5), the S3 `x-amz-checksum-crc64nvme`.
public struct CRC64NVME: Sendable {
    private var register: UInt64 = .max

    /// Starts a new checksum.
    public init() {}

    /// Adds `bytes` to the checksum.
    public mutating func update(_ bytes: UnsafeRawBufferPointer) {
        register = crc64NVMETable.update(register, bytes)
    }

    /// Adds `bytes` to the checksum.
    public mutating func update(_ bytes: [UInt8]) {
        bytes.withUnsafeBytes { update($0) }
    }

    /// The checksum of everything added so far.
    public var value: UInt64 { register ^ .max }

    /// The checksum of `bytes`.
    public static func checksum(_ bytes: [UInt8]) -> UInt64 {
        var crc = CRC64NVME()
        crc.update(bytes)
        return crc.value
    }
}
