import Foundation
import Hummingbird
import NIOCore
import NIOPosix
import Storage

/// An object file opened for reading; the descriptor closes when the last reference goes.
final class ObjectFile: Sendable {
    let descriptor: Int32

    /// Opens `path` read-only; a missing file throws ``S3Error`` `NoSuchKey` for `key`.
    init(path: String, key: String) throws {
        let descriptor = open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else {
            if errno == ENOENT { throw S3Error.noSuchKey(key) }
            throw ObjectFileError(operation: "open", code: errno)
        }
        self.descriptor = descriptor
    }

    deinit { close(descriptor) }

    /// Reads `count` bytes at `offset` on NIO's blocking-I/O thread pool. Fewer bytes than asked
    /// (the file was truncated) throws.
    func read(at offset: Int64, count: Int) async throws -> ByteBuffer {
        try await NIOThreadPool.singleton.runIfActive { [self] in
            var buffer = ByteBufferAllocator().buffer(capacity: count)
            let read = try buffer.writeWithUnsafeMutableBytes(minimumWritableBytes: count) { memory in
                var done = 0
                while done < count {
                    let result = pread(descriptor, memory.baseAddress.map { $0 + done }, count - done, off_t(offset) + off_t(done))
                    if result < 0 {
                        if errno == EINTR { continue }
                        throw ObjectFileError(operation: "read", code: errno)
                    }
                    if result == 0 { break }
                    done += result
                }
                return done
            }
            guard read == count else { throw ObjectFileError(operation: "read (file shorter than its object)", code: EIO) }
            return buffer
        }
    }
}

/// A read of an object file failed.
struct ObjectFileError: Error, CustomStringConvertible {
    let operation: String
    let code: Int32
    var description: String { "object file \(operation): \(String(cString: strerror(code)))" }
}

/// Builds response bodies that stream object content without holding it in memory.
enum ObjectBodyStreamer {
    /// Bytes read from disk at a time.
    static let chunkSize = 2 << 20

    /// The body for bytes `range` of an object whose content is `content` (its first byte at the
    /// content's offset). A file is opened now, so a later replace or delete of the object does not
    /// cut the response short; the next chunk is read while the current one is written.
    static func body(content: ObjectContent, range: ByteRange, key: String) throws -> ResponseBody {
        guard range.count > 0 else { return ResponseBody() }
        switch content {
        case .bytes(let bytes):
            let lower = Int(range.first)
            let upper = Int(range.last)
            guard lower >= 0, upper < bytes.count else { throw ObjectFileError(operation: "slice (content shorter than its object)", code: EIO) }
            return ResponseBody(byteBuffer: ByteBuffer(bytes: bytes[lower...upper]))
        case .file(let path, let offset):
            let file = try ObjectFile(path: path, key: key)
            let start = offset + range.first
            let total = range.count
            return ResponseBody(contentLength: Int(total)) { writer in
                var position = start
                var remaining = total
                func readNext() -> Task<ByteBuffer, any Error>? {
                    guard remaining > 0 else { return nil }
                    let count = Int(min(Int64(chunkSize), remaining))
                    let at = position
                    position += Int64(count)
                    remaining -= Int64(count)
                    return Task { try await file.read(at: at, count: count) }
                }
                var next = readNext()
                while let current = next {
                    let buffer = try await current.value
                    next = readNext()
                    do {
                        try await writer.write(buffer)
                    } catch {
                        next?.cancel()
                        throw error
                    }
                }
                try await writer.finish(nil)
            }
        }
    }
}
