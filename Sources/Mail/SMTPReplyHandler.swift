import NIOCore

/// The channel handler at the end of the pipeline: frames and parses the server's replies and
/// hands each one to the single command waiting for it, within that command's timeout.
///
/// Every method runs on the channel's event loop; ``SMTPConnection`` reaches it from async code.
final class SMTPReplyHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    private struct Waiter {
        var promise: EventLoopPromise<SMTPReply>
        var timer: Scheduled<Void>
    }

    private var framer = SMTPLineFramer()
    private var parser = SMTPReplyParser()
    /// Replies that arrived while no command was waiting.
    private var unsolicited: [SMTPReply] = []
    /// Once set, the session is over: every wait fails with it.
    private var failure: SMTPError?
    private var waiter: Waiter?
    private var context: ChannelHandlerContext?
    private let eventLoop: any EventLoop

    /// Creates the handler for a channel on `eventLoop`.
    init(eventLoop: any EventLoop) {
        self.eventLoop = eventLoop
    }

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        fail(.connect("the connection to the relay was closed"))
        self.context = nil
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard failure == nil else { return }
        let buffer = unwrapInboundIn(data)
        framer.append(buffer.readableBytesView)
        do throws(SMTPError) {
            while let line = try framer.nextLine() {
                if let reply = try parser.consume(line: line) {
                    deliver(reply)
                }
            }
        } catch {
            fail(error)
            context.close(promise: nil)
        }
    }

    func channelInactive(context: ChannelHandlerContext) {
        fail(.connect("the relay closed the connection"))
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        fail(SMTPErrorMapping.map(error))
        context.close(promise: nil)
    }

    /// Whether nothing from the server is waiting to be read: no reply, no partial line or reply.
    /// Checked before STARTTLS so no plaintext sent ahead of the handshake is ever taken as a reply.
    var isQuiescent: Bool {
        unsolicited.isEmpty && !framer.hasBufferedBytes && parser.isIdle
    }

    /// The session's failure, if it has failed.
    var terminalFailure: SMTPError? { failure }

    /// Writes `payload` (when given) and waits at most `timeout` for the next reply. Without a payload
    /// a reply that already arrived is returned; with one, an earlier unanswered reply is an error.
    func exchange(_ payload: ByteBuffer?, timeout: TimeAmount) -> EventLoopFuture<SMTPReply> {
        if let failure {
            return eventLoop.makeFailedFuture(failure)
        }
        guard let context else {
            return eventLoop.makeFailedFuture(SMTPError.connect("the connection to the relay was closed"))
        }
        guard waiter == nil else {
            return context.eventLoop.makeFailedFuture(
                SMTPError.protocolViolation("a command was sent while another waited for its reply"))
        }
        if payload == nil, !unsolicited.isEmpty {
            // The greeting may arrive before anyone waits for it.
            return context.eventLoop.makeSucceededFuture(unsolicited.removeFirst())
        }
        if let reply = unsolicited.first {
            // A reply nobody asked for: the dialogue is out of step (or the relay is shutting down).
            let error: SMTPError =
                reply.code == 421
                ? .rejected(reply, during: "relay closing")
                : .protocolViolation("unexpected reply \(reply.code) \(reply.summary)")
            fail(error)
            context.close(promise: nil)
            return context.eventLoop.makeFailedFuture(error)
        }
        let promise = context.eventLoop.makePromise(of: SMTPReply.self)
        let timer = context.eventLoop.assumeIsolated().scheduleTask(in: timeout) {
            self.timedOut(after: timeout)
        }
        waiter = Waiter(promise: promise, timer: timer)
        if let payload {
            let written = context.eventLoop.makePromise(of: Void.self)
            context.writeAndFlush(wrapOutboundOut(payload), promise: written)
            written.futureResult.assumeIsolated().whenFailure { error in
                self.fail(SMTPErrorMapping.map(error))
            }
        }
        return promise.futureResult
    }

    private func deliver(_ reply: SMTPReply) {
        guard let waiter else {
            unsolicited.append(reply)
            return
        }
        self.waiter = nil
        waiter.timer.cancel()
        waiter.promise.succeed(reply)
    }

    private func timedOut(after timeout: TimeAmount) {
        let seconds = Double(timeout.nanoseconds) / 1_000_000_000
        fail(.timeout("no reply from the relay within \(seconds) s"))
        context?.close(promise: nil)
    }

    /// Ends the session with `error` (the first failure wins) and fails the waiting command.
    private func fail(_ error: SMTPError) {
        if failure == nil {
            failure = error
        }
        guard let waiter else { return }
        self.waiter = nil
        waiter.timer.cancel()
        waiter.promise.fail(failure ?? error)
    }
}
