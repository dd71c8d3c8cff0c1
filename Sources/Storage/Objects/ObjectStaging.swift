import Crypto
import Foundation
import Synchronization

/// A body being received: a file in the store's staging directory, the running MD5 of what was
/// written, and the byte count, which may not pass the limit. The store publishes it (fsync,
/// rename, index) or the caller discards it; an abandoned one is removed on the next start.
public final class ObjectStaging: Sendable {
    private struct State {
        var descriptor: Int32
        var md5 = Insecure.MD5()
        var size: Int64 = 0
        var finished = false
    }

    /// The staging file.
    public let path: String
    /// The most bytes this body may have.
    public let limit: Int64
    private let state: Mutex<State>

    /// Creates the staging file (exclusive, mode 0600) at `path`.
    init(path: String, limit: Int64) throws(ObjectStoreIOError) {
        let descriptor = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
        guard descriptor >= 0 else { throw ObjectStoreIOError(operation: "create \(path)", code: errno) }
        self.path = path
        self.limit = limit
        state = Mutex(State(descriptor: descriptor))
    }

    deinit {
        state.withLock { state in
            if state.descriptor >= 0 { close(state.descriptor) }
        }
    }

    /// Bytes received so far.
    public var size: Int64 { state.withLock { $0.size } }

    /// Appends `bytes`; throws ``ObjectStoreError/entityTooLarge(limit:)`` past the limit.
    public func write(_ bytes: UnsafeRawBufferPointer) throws {
        try state.withLock { state throws in
            guard state.descriptor >= 0, !state.finished else { throw ObjectStoreIOError(operation: "write to a finished staging file", code: EBADF) }
            guard state.size + Int64(bytes.count) <= limit else { throw ObjectStoreError.entityTooLarge(limit: limit) }
            var offset = 0
            while offset < bytes.count {
                let written = Foundation.write(state.descriptor, bytes.baseAddress.map { $0 + offset }, bytes.count - offset)
                if written < 0 {
                    if errno == EINTR { continue }
                    throw ObjectStoreIOError(operation: "write \(path)", code: errno)
                }
                offset += written
            }
            state.md5.update(bufferPointer: bytes)
            state.size += Int64(bytes.count)
        }
    }

    /// Appends `bytes` off the cooperative thread pool (a write may block on a busy disk).
    public func append(_ bytes: [UInt8]) async throws {
        try await BlockingIO.run { [self] in try bytes.withUnsafeBytes { try write($0) } }
    }

    /// Flushes the file to disk and closes it; answers its MD5 (hex) and size.
    func finish() throws -> (md5: String, size: Int64) {
        try state.withLock { state throws in
            guard !state.finished else { throw ObjectStoreIOError(operation: "finish \(path) twice", code: EBADF) }
            guard fsync(state.descriptor) == 0 else { throw ObjectStoreIOError(operation: "fsync \(path)", code: errno) }
            close(state.descriptor)
            state.descriptor = -1
            state.finished = true
            return (Hex.encode(state.md5.finalize()), state.size)
        }
    }

    /// Removes the staging file (after a failure or an abandoned upload).
    public func discard() {
        state.withLock { state in
            if state.descriptor >= 0 { close(state.descriptor) }
            state.descriptor = -1
            state.finished = true
        }
        unlink(path)
    }
}

/// A file-system call of the local object store failed.
public struct ObjectStoreIOError: Error, Sendable, CustomStringConvertible {
    public let operation: String
    public let code: Int32
    public var description: String { "\(operation): \(String(cString: strerror(code)))" }
}
