import CoreEngine
import Synchronization

/// In-process fan-out of accepted and emitted events to live listeners (`GET /events/stream`),
/// per tenant. A slow listener loses the oldest messages beyond its buffer, never slows intake.
public final class EventBroadcaster: Sendable {
    /// Messages a listener may have waiting before the oldest are dropped.
    public static let bufferSize = 1000

    private struct Listener {
        let tenantID: String
        let continuation: AsyncStream<JSONValue>.Continuation
    }

    private let listeners = Mutex<[Int: Listener]>([:])
    private let nextID = Atomic<Int>(0)

    public init() {}

    /// A stream of the tenant's events as SSE-ready JSON objects; it ends when the consumer stops.
    public func subscribe(tenantID: String) -> AsyncStream<JSONValue> {
        let id = nextID.add(1, ordering: .relaxed).newValue
        let (stream, continuation) = AsyncStream<JSONValue>.makeStream(bufferingPolicy: .bufferingNewest(Self.bufferSize))
        continuation.onTermination = { [weak self] _ in
            _ = self?.listeners.withLock { $0.removeValue(forKey: id) }
        }
        listeners.withLock { $0[id] = Listener(tenantID: tenantID, continuation: continuation) }
        return stream
    }

    /// Tells the event's tenant's listeners about it.
    func publish(_ event: EventRecord) {
        let message: JSONValue = [
            "type": .string(event.source == .emit ? "emitted" : "accepted"),
            "event_id": .string(event.id), "core_id": .string(event.coreID), "event_name": .string(event.name), "data": event.data,
            "source": .string(event.source.rawValue), "run_ids": .array(event.runIDs.map(JSONValue.string)),
            "source_run_id": event.sourceRunID.map(JSONValue.string) ?? .null,
        ]
        let targets = listeners.withLock { $0.values.filter { $0.tenantID == event.tenantID }.map(\.continuation) }
        for continuation in targets { continuation.yield(message) }
    }

    /// Ends every stream (on shutdown).
    public func finishAll() {
        let all = listeners.withLock { listeners in
            defer { listeners.removeAll() }
            return listeners.values.map(\.continuation)
        }
        for continuation in all { continuation.finish() }
    }
}
