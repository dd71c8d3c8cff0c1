import CoreEngine
import Foundation
import Storage
import Synchronization

/// Whether the appliance can take writes (`GET /readyz`, docs/api.md "Operations"): every store
/// answers, and none is failing with a full disk or I/O errors. A store that refused a write
/// (``StorageHealth``) is probed with a small real write — at most once a second per store, since
/// `/readyz` is open to anyone; once a probe succeeds, it counts as healthy again.
public final class Readiness: Sendable {
    let store: any RelationalStore
    let memory: any KeyValueStore
    let objects: InternalObjects
    let health: StorageHealth
    let dataDirectory: String
    let now: Now
    private let lastProbes = Mutex<[StorageFault.Store: Date]>([:])
    static let probeInterval: TimeInterval = 1

    init(store: any RelationalStore, memory: any KeyValueStore, objects: InternalObjects, health: StorageHealth, dataDirectory: String, now: @escaping Now) {
        self.store = store
        self.memory = memory
        self.objects = objects
        self.health = health
        self.dataDirectory = dataDirectory
        self.now = now
    }

    /// What `/readyz` answers.
    public struct Report: Sendable {
        public let ready: Bool
        public let body: JSONValue
    }

    /// Pings the relational store, probes every failing store, and reports.
    public func check() async -> Report {
        var body: [String: JSONValue] = [:]
        var ready = true
        do {
            try await store.ping()
            body["storage"] = "ok"
        } catch {
            ready = false
            body["storage"] = .string("\(error)")
        }
        for failing in health.failing.keys where isDue(failing) {
            let started = now()
            if await probe(failing) { health.clear(failing, probedAt: started) }
        }
        let failing = health.failing
        if !failing.isEmpty { ready = false }
        body["failing"] = .array(failing.sorted { $0.key.rawValue < $1.key.rawValue }.map { store, state in
            [
                "store": .string(store.rawValue), "reason": .string(state.fault.kind.rawValue), "message": .string(state.fault.description),
                "since": .string(Timestamp.string(state.since)), "last_refused_at": .string(Timestamp.string(state.lastAt)),
            ]
        })
        body["data_dir_free_bytes"] = StorageHealth.freeBytes(at: dataDirectory).map { .integer($0) } ?? .null
        body["status"] = ready ? "ready" : "unavailable"
        return Report(ready: ready, body: .object(body))
    }

    /// True when `store` was not probed within the last ``probeInterval`` (and notes this probe).
    private func isDue(_ store: StorageFault.Store) -> Bool {
        let at = now()
        return lastProbes.withLock { last in
            if let previous = last[store], at.timeIntervalSince(previous) < Self.probeInterval { return false }
            last[store] = at
            return true
        }
    }

    /// Writes (and removes) a little in `failing` — more than a page, so that a disk with no room
    /// at all refuses it (one with freed pages inside the store's files may not).
    private func probe(_ failing: StorageFault.Store) async -> Bool {
        let stamp = Timestamp.string(now())
        do {
            switch failing {
            case .relational:
                try await store.write { db in
                    _ = try db.execute("DELETE FROM appliance_storage_probe", [])
                    _ = try db.execute("INSERT INTO appliance_storage_probe (id, written_at, filler) VALUES ('probe', ?, ?)",
                                       [.text(stamp), .blob(Array(repeating: 0, count: Self.probeBytes))])
                }
            case .lmdb:
                let scope = KeyValueScope(tenant: "_system", core: "_probe", scope: "health")
                try await memory.put("probe", Array(repeating: 0, count: Self.probeBytes), ttl: .seconds(60), in: scope)
                _ = try await memory.delete("probe", in: scope)
            case .objects:
                try await objects.probe(bytes: LocalObjectStore.inlineLimit + Self.probeBytes)
            }
            return true
        } catch {
            return false
        }
    }

    /// Bytes a probe writes: more than a page, so that it needs room on disk.
    static let probeBytes = 8 << 10
}
