import CoreEngine
import NIOCore
import NIOHTTP1
import NIOPosix

/// One keep-alive HTTP/1.1 connection of the load drivers: one request at a time, answered with
/// its status and body.
///
/// Built straight on SwiftNIO's HTTP codec rather than on a pooled client: on a 2-core machine a
/// pooled client spends about as much CPU per request as the server under test, and the figures
/// would measure the load generator. This costs a few microseconds per request.
final class BenchHTTPConnection: Sendable {
    private let channel: any Channel
    private let authority: String

    private init(channel: any Channel, authority: String) {
        self.channel = channel
        self.authority = authority
    }

    /// Opens a connection to `host:port` (TCP_NODELAY, as HTTP clients set it).
    static func connect(host: String, port: Int) async throws -> BenchHTTPConnection {
        let channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .channelOption(.socketOption(.tcp_nodelay), value: 1)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHTTPClientHandlers()
                    try channel.pipeline.syncOperations.addHandler(ExchangeHandler())
                }
            }
            .connect(host: host, port: port)
            .get()
        return BenchHTTPConnection(channel: channel, authority: "\(host):\(port)")
    }

    /// Sends one request and answers the response's status and body.
    func send(_ method: HTTPMethod, _ path: String, auth: String?, body: String? = nil) async throws -> (status: Int, body: ByteBuffer) {
        var head = HTTPRequestHead(version: .http1_1, method: method, uri: path)
        head.headers.add(name: "Host", value: authority)
        if let auth { head.headers.add(name: "Authorization", value: auth) }
        var payload: ByteBuffer?
        if let body {
            payload = ByteBuffer(string: body)
            head.headers.add(name: "Content-Type", value: "application/json")
            head.headers.add(name: "Content-Length", value: String(body.utf8.count))
        } else if method == .POST || method == .PUT {
            head.headers.add(name: "Content-Length", value: "0")
        }
        let answer = channel.eventLoop.makePromise(of: (status: Int, body: ByteBuffer).self)
        channel.writeAndFlush(ExchangeHandler.Exchange(head: head, body: payload, answer: answer), promise: nil)
        return try await answer.futureResult.get()
    }

    /// Sends one request and answers its status and JSON body (nil when the body is not JSON).
    func exchange(_ method: HTTPMethod, _ path: String, auth: String?, body: String? = nil) async throws -> (Int, JSONValue?) {
        let (status, bytes) = try await send(method, path, auth: auth, body: body)
        return (status, try? JSONValue.parse(bytes.readableBytesView))
    }

    func close() async {
        try? await channel.close()
    }
}

/// Writes an ``Exchange``'s request and completes its promise with the response.
private final class ExchangeHandler: ChannelDuplexHandler {
    typealias InboundIn = HTTPClientResponsePart
    typealias OutboundIn = Exchange
    typealias OutboundOut = HTTPClientRequestPart

    struct Exchange: Sendable {
        let head: HTTPRequestHead
        let body: ByteBuffer?
        let answer: EventLoopPromise<(status: Int, body: ByteBuffer)>
    }

    private var waiting: EventLoopPromise<(status: Int, body: ByteBuffer)>?
    private var status = 0
    private var body = ByteBuffer()

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        let exchange = unwrapOutboundIn(data)
        waiting = exchange.answer
        context.write(wrapOutboundOut(.head(exchange.head)), promise: nil)
        if let body = exchange.body { context.write(wrapOutboundOut(.body(.byteBuffer(body))), promise: nil) }
        context.write(wrapOutboundOut(.end(nil)), promise: promise)
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let head):
            status = Int(head.status.code)
            body = context.channel.allocator.buffer(capacity: 256)
        case .body(var part):
            body.writeBuffer(&part)
        case .end:
            let answer = waiting
            waiting = nil
            answer?.succeed((status, body))
        }
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        fail(error)
        context.close(promise: nil)
    }

    func channelInactive(context: ChannelHandlerContext) {
        fail(ChannelError.ioOnClosedChannel)
        context.fireChannelInactive()
    }

    private func fail(_ error: any Error) {
        let answer = waiting
        waiting = nil
        answer?.fail(error)
    }
}
