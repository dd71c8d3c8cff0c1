import HummingbirdCore
import Logging
import NIOCore

/// Hummingbird's HTTP/1.1 child channel with a ``ConnectionGuard`` around its codec, so that
/// every connection keeps to its ``ConnectionLimits``.
public struct GuardedHTTP1Channel: ServerChildChannel {
    public typealias Value = HTTP1Channel.Value

    let responder: HTTPChannelHandler.Responder
    let limits: ConnectionLimits
    let onBreach: @Sendable (ConnectionLimits.Breach) -> Void

    public func setup(channel: any Channel, logger: Logger) -> EventLoopFuture<Value> {
        let clock = ConnectionGuard(limits: limits, channel: channel, onBreach: onBreach)
        do {
            try channel.pipeline.syncOperations.addHandler(ConnectionGuard.ByteSide(clock), position: .first)
        } catch {
            return channel.eventLoop.makeFailedFuture(error)
        }
        let messages = NIOLoopBound(ConnectionGuard.MessageSide(clock), eventLoop: channel.eventLoop)
        return HTTP1Channel(responder: responder, configuration: .init(additionalChannelHandlers: [messages.value]))
            .setup(channel: channel, logger: logger)
    }

    public func handle(value: Value, logger: Logger) async {
        await HTTP1Channel(responder: responder).handle(value: value, logger: logger)
    }
}

extension HTTPServerBuilder {
    /// An HTTP/1.1 server whose connections keep to `limits`; `onBreach` hears of every
    /// connection closed for breaking one (for a metric).
    public static func guardedHTTP1(limits: ConnectionLimits, onBreach: @escaping @Sendable (ConnectionLimits.Breach) -> Void = { _ in }) -> HTTPServerBuilder {
        .init { responder in GuardedHTTP1Channel(responder: responder, limits: limits, onBreach: onBreach) }
    }
}
