import Foundation
import Synchronization

/// What the stores' last faults were, for `/readyz` and the metrics: a store that refused a
/// write is failing until a probe write to it succeeds (``clear(_:)``). Shared by everything that
/// catches a ``StorageFault`` — the REST and S3 listeners, the runtime.
public final class StorageHealth: Sendable {
    /// A store's current trouble.
    public struct Failing: Sendable, Equatable {
        public let fault: StorageFault
        public let since: Date
        public var lastAt: Date
    }

    private struct State {
        var failing: [StorageFault.Store: Failing] = [:]
        var refused: [Key: Int] = [:]
    }

    /// A (store, kind) pair of the refused-writes count.
    public struct Key: Hashable, Sendable {
        public let store: StorageFault.Store
        public let kind: StorageFault.Kind

        public init(store: StorageFault.Store, kind: StorageFault.Kind) {
            self.store = store
            self.kind = kind
        }
    }

    private let state = Mutex(State())
    private let now: @Sendable () -> Date

    public init(now: @escaping @Sendable () -> Date = Date.init) {
        self.now = now
    }

    /// Records a refused write: the store is failing from now until cleared.
    public func record(_ fault: StorageFault) {
        let at = now()
        state.withLock { state in
            state.refused[Key(store: fault.store, kind: fault.kind), default: 0] += 1
            if var failing = state.failing[fault.store], failing.fault.kind == fault.kind {
                failing.lastAt = at
                state.failing[fault.store] = failing
            } else {
                state.failing[fault.store] = Failing(fault: fault, since: at, lastAt: at)
            }
        }
    }

    /// Records `error` when it is a storage fault; answers the fault.
    @discardableResult
    public func record(ifFault error: any Error) -> StorageFault? {
        guard let fault = StorageFault.of(error) else { return nil }
        record(fault)
        return fault
    }

    /// A write to `store` that began at `start` succeeded: it is no longer failing — unless a
    /// write refused after `start` says otherwise.
    public func clear(_ store: StorageFault.Store, probedAt start: Date) {
        state.withLock { state in
            if let failing = state.failing[store], failing.lastAt < start { state.failing[store] = nil }
        }
    }

    /// The stores failing now, by name.
    public var failing: [StorageFault.Store: Failing] { state.withLock { $0.failing } }

    /// Writes refused since start, by store and kind.
    public var refusedWrites: [Key: Int] { state.withLock { $0.refused } }

    /// Free bytes for an unprivileged writer on the filesystem holding `path`, or nil.
    public static func freeBytes(at path: String) -> Int64? {
        var info = statvfs()
        guard statvfs(path, &info) == 0 else { return nil }
        return Int64(info.f_bavail) * Int64(info.f_frsize)
    }
}
