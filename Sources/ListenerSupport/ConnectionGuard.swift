import NIOCore
import NIOHTTPTypes

/// One connection's ``ConnectionDeadlines`` and its timer, shared by the two handlers that feed
/// it: ``ConnectionGuard/ByteSide`` next to the socket (bytes arriving, the server asking for
/// more) and ``ConnectionGuard/MessageSide`` after the HTTP codec (heads, ends, responses).
/// Lives on the connection's event loop.
final class ConnectionGuard {
    private var deadlines: ConnectionDeadlines
    private let onBreach: @Sendable (ConnectionLimits.Breach) -> Void
    private let channel: any Channel
    private var timer: Scheduled<Void>?
    private var timerDeadline: UInt64?

    init(limits: ConnectionLimits, channel: any Channel, onBreach: @escaping @Sendable (ConnectionLimits.Breach) -> Void) {
        self.deadlines = ConnectionDeadlines(limits: limits, openedAt: Self.now())
        self.channel = channel
        self.onBreach = onBreach
    }

    static func now() -> UInt64 { NIODeadline.now().uptimeNanoseconds }

    /// Applies an event to the deadlines and moves the timer to the next check.
    func note(_ event: (inout ConnectionDeadlines, UInt64) -> Void) {
        event(&deadlines, Self.now())
        reschedule()
    }

    func stop() {
        timer?.cancel()
        timer = nil
        timerDeadline = nil
    }

    private func reschedule() {
        guard let next = deadlines.nextCheck else { return stop() }
        guard next != timerDeadline else { return }
        timer?.cancel()
        timerDeadline = next
        timer = channel.eventLoop.assumeIsolatedUnsafeUnchecked().scheduleTask(deadline: .uptimeNanoseconds(next)) { [self] in
            timer = nil
            timerDeadline = nil
            if let breach = deadlines.check(at: Self.now()) {
                onBreach(breach)
                channel.close(promise: nil)
            } else {
                reschedule()
            }
        }
    }

    /// Next to the socket: counts bytes as they arrive and notes when the server asks for more.
    final class ByteSide: ChannelDuplexHandler, RemovableChannelHandler {
        typealias InboundIn = ByteBuffer
        typealias InboundOut = ByteBuffer
        typealias OutboundIn = ByteBuffer
        typealias OutboundOut = ByteBuffer

        let clock: ConnectionGuard
        init(_ clock: ConnectionGuard) { self.clock = clock }

        func handlerAdded(context: ChannelHandlerContext) { clock.note { _, _ in } }
        func handlerRemoved(context: ChannelHandlerContext) { clock.stop() }

        func channelInactive(context: ChannelHandlerContext) {
            clock.stop()
            context.fireChannelInactive()
        }

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            let count = unwrapInboundIn(data).readableBytes
            clock.note { $0.bytesArrived(count, at: $1) }
            context.fireChannelRead(data)
        }

        func channelReadComplete(context: ChannelHandlerContext) {
            clock.note { $0.readCompleted(at: $1) }
            context.fireChannelReadComplete()
        }

        func read(context: ChannelHandlerContext) {
            clock.note { $0.readRequested(at: $1) }
            context.read()
        }

        func close(context: ChannelHandlerContext, mode: CloseMode, promise: EventLoopPromise<Void>?) {
            if mode == .output { clock.note { $0.outputClosed(at: $1) } }
            context.close(mode: mode, promise: promise)
        }
    }

    /// After the HTTP codec: notes each request's head and end and each response's end.
    final class MessageSide: ChannelDuplexHandler, RemovableChannelHandler {
        typealias InboundIn = HTTPRequestPart
        typealias InboundOut = HTTPRequestPart
        typealias OutboundIn = HTTPResponsePart
        typealias OutboundOut = HTTPResponsePart

        let clock: ConnectionGuard
        init(_ clock: ConnectionGuard) { self.clock = clock }

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            switch unwrapInboundIn(data) {
            case .head: clock.note { $0.headReceived(at: $1) }
            case .end: clock.note { $0.endReceived(at: $1) }
            case .body: break
            }
            context.fireChannelRead(data)
        }

        func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
            if case .end = unwrapOutboundIn(data) { clock.note { $0.responseEnded(at: $1) } }
            context.write(data, promise: promise)
        }
    }
}
