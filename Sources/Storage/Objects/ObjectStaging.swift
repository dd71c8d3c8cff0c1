import Crypto
import Foundation
import Synchronization

/// A body being received: the running MD5 of what was written and the byte count, which may not
/// pass the limit. Its first `inlineLimit` bytes are kept in memory; a body that grows past them
/// moves to a file in the store's staging directory. The store publishes it (a small body
/// inline in its index, a file by fsync, rename, index) or the caller discards it; an abandoned
/// file is removed on the next start.
public final class ObjectStaging: Sendable {
    private struct State {
        /// The staging file once the body outgrew memory; -1 before (and after finishing).
        var descriptor: Int32 = -1
        var buffered: [UInt8] = []
        var onDisk = false
        var md5 = Insecure.MD5()
        var size: Int64 = 0
        var finished = false
    }

    /// The staging file (it exists only once the body outgrew ``inlineLimit``).
    public let path: String
    /// The most bytes this body may have.
    public let limit: Int64
    /// The most bytes kept in memory.
    let inlineLimit: Int
    private let state: Mutex<State>

    /// A staging area whose file, when it needs one, is `path` (created exclusive, mode 0600).
    init(path: String, limit: Int64, inlineLimit: Int = 0) throws(ObjectStoreIOError) {
        self.path = path
        self.limit = limit
        self.inlineLimit = inlineLimit
        var initial = State()
        if inlineLimit <= 0 {
            initial.descriptor = try Self.create(path)
            initial.onDisk = true
        }
        state = Mutex(initial)
    }

    private static func create(_ path: String) throws(ObjectStoreIOError) -> Int32 {
        let descriptor = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
        guard descriptor >= 0 else { throw ObjectStoreIOError(operation: "create \(path)", code: errno) }
        return descriptor
    }

    deinit {
        state.withLock { state in
            if state.descriptor >= 0 { close(state.descriptor) }
        }
    }

    /// Bytes received so far.
    public var size: Int64 { state.withLock { $0.size } }

    /// Whether the body is still held in memory (it has not outgrown ``inlineLimit``).
    var isInMemory: Bool { state.withLock { !$0.onDisk } }

    /// Appends `bytes`; throws ``ObjectStoreError/entityTooLarge(limit:)`` past the limit.
    public func write(_ bytes: UnsafeRawBufferPointer) throws {
        try state.withLock { state throws in
            guard !state.finished else { throw ObjectStoreIOError(operation: "write to a finished staging file", code: EBADF) }
            guard state.size + Int64(bytes.count) <= limit else { throw ObjectStoreError.entityTooLarge(limit: limit) }
            if !state.onDisk, state.buffered.count + bytes.count <= inlineLimit {
                state.buffered.append(contentsOf: bytes)
            } else {
                try moveToDisk(&state)
                try writeAll(bytes, to: state.descriptor)
            }
            state.md5.update(bufferPointer: bytes)
            state.size += Int64(bytes.count)
        }
    }

    /// Creates the staging file with what memory holds so far.
    private func moveToDisk(_ state: inout State) throws {
        guard !state.onDisk else { return }
        let descriptor = try Self.create(path)
        state.descriptor = descriptor
        state.onDisk = true
        let buffered = state.buffered
        state.buffered = []
        try buffered.withUnsafeBytes { try writeAll($0, to: descriptor) }
    }

    private func writeAll(_ bytes: UnsafeRawBufferPointer, to descriptor: Int32) throws {
        var offset = 0
        while offset < bytes.count {
            let written = Foundation.write(descriptor, bytes.baseAddress.map { $0 + offset }, bytes.count - offset)
            if written < 0 {
                if errno == EINTR { continue }
                throw ObjectStoreIOError(operation: "write \(path)", code: errno)
            }
            offset += written
        }
    }

    /// Appends `bytes` off the cooperative thread pool (a write may block on a busy disk).
    public func append(_ bytes: [UInt8]) async throws {
        try await BlockingIO.run { [self] in try bytes.withUnsafeBytes { try write($0) } }
    }

    /// Ends the body; answers its MD5 (hex), its size and, when it stayed in memory and `inline`
    /// allows, its bytes. Otherwise the file at ``path`` holds it, flushed to disk and closed.
    func finish(inline: Bool = true) throws -> (md5: String, size: Int64, inline: [UInt8]?) {
        try state.withLock { state throws in
            guard !state.finished else { throw ObjectStoreIOError(operation: "finish \(path) twice", code: EBADF) }
            let md5 = Hex.encode(state.md5.finalize())
            if inline, !state.onDisk {
                state.finished = true
                defer { state.buffered = [] }
                return (md5, state.size, state.buffered)
            }
            try moveToDisk(&state)
            guard fsync(state.descriptor) == 0 else { throw ObjectStoreIOError(operation: "fsync \(path)", code: errno) }
            close(state.descriptor)
            state.descriptor = -1
            state.finished = true
            return (md5, state.size, nil)
        }
    }

    /// Removes the staging file (after a failure or an abandoned upload).
    public func discard() {
        let onDisk = state.withLock { state in
            if state.descriptor >= 0 { close(state.descriptor) }
            state.descriptor = -1
            state.finished = true
            state.buffered = []
            return state.onDisk
        }
        if onDisk { unlink(path) }
    }
}

/// A file-system call of the local object store failed.
public struct ObjectStoreIOError: Error, Sendable, CustomStringConvertible {
    public let operation: String
    public let code: Int32
    public var description: String { "\(operation): \(String(cString: strerror(code)))" }
}
