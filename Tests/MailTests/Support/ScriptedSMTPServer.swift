import Foundation
import Synchronization

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif

/// A one-connection server on 127.0.0.1 that plays a script written in Swift, for dialogue tests
/// that need exact control of the replies (injection, odd codes, silence).
final class ScriptedSMTPServer: Sendable {
    /// What went wrong on the server side.
    struct Failure: Error, CustomStringConvertible {
        var description: String
    }

    /// The port the server listens on.
    let port: Int
    private let state = Mutex<State>(State())

    private struct State {
        var received: [String] = []
        var finished = false
        var scriptError: String?
        var waiters: [CheckedContinuation<Void, Never>] = []
    }

    /// Starts listening and runs `script` on its own thread for the first connection.
    init(script: @escaping @Sendable (ScriptedPeer) throws -> Void) throws {
        let listener = try Self.makeListener()
        port = listener.port
        let fd = listener.fd
        Thread { [self] in
            defer { _ = close(fd) }
            var timeout = timeval(tv_sec: 10, tv_usec: 0)
            _ = setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
            let connection = accept(fd, nil, nil)
            guard connection >= 0 else {
                self.finish(error: "accept failed: errno \(errno)")
                return
            }
            _ = setsockopt(connection, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
            let peer = ScriptedPeer(fd: connection) { line in
                self.state.withLock { $0.received.append(line) }
            }
            var failure: String?
            do {
                try script(peer)
            } catch {
                failure = "\(error)"
            }
            _ = close(connection)
            self.finish(error: failure)
        }.start()
    }

    /// A port on 127.0.0.1 where nothing listens (bound, then closed).
    static func closedPort() throws -> Int {
        let listener = try makeListener()
        _ = close(listener.fd)
        return listener.port
    }

    /// Waits for the script to end; the lines the client sent (DATA lines included).
    func transcript() async -> [String] {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let resumeNow = state.withLock { state in
                if state.finished { return true }
                state.waiters.append(continuation)
                return false
            }
            if resumeNow { continuation.resume() }
        }
        return state.withLock { $0.received }
    }

    /// The script's error, if it failed (valid after ``transcript()``).
    var scriptError: String? { state.withLock { $0.scriptError } }

    private func finish(error: String?) {
        let waiters = state.withLock { state in
            state.finished = true
            state.scriptError = error
            defer { state.waiters = [] }
            return state.waiters
        }
        for waiter in waiters { waiter.resume() }
    }

    private static func makeListener() throws -> (fd: Int32, port: Int) {
        #if canImport(Darwin)
            let streamType = SOCK_STREAM
        #else
            let streamType = Int32(SOCK_STREAM.rawValue)
        #endif
        let fd = socket(AF_INET, streamType, 0)
        guard fd >= 0 else { throw Failure(description: "socket failed") }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = 0
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        guard bound == 0, listen(fd, 4) == 0 else {
            _ = close(fd)
            throw Failure(description: "bind/listen failed")
        }
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let named = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
        }
        guard named == 0 else {
            _ = close(fd)
            throw Failure(description: "getsockname failed")
        }
        return (fd, Int(UInt16(bigEndian: address.sin_port)))
    }
}

/// The server's side of the connection, used only on the script's thread.
final class ScriptedPeer {
    private let fd: Int32
    private var buffer: [UInt8] = []
    private let record: (String) -> Void

    init(fd: Int32, record: @escaping (String) -> Void) {
        self.fd = fd
        self.record = record
    }

    /// Sends `text` as is.
    func sendRaw(_ text: String) throws {
        var bytes = Array(text.utf8)[...]
        while !bytes.isEmpty {
            let written = bytes.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
            guard written > 0 else { throw ScriptedSMTPServer.Failure(description: "write failed") }
            bytes = bytes.dropFirst(written)
        }
    }

    /// Sends one reply line with CRLF.
    func reply(_ line: String) throws {
        try sendRaw(line + "\r\n")
    }

    /// Reads one line sent by the client (without CRLF) and records it.
    @discardableResult
    func readLine() throws -> String {
        while true {
            if let newline = buffer.firstIndex(of: UInt8(ascii: "\n")) {
                var end = newline
                if end > 0, buffer[end - 1] == UInt8(ascii: "\r") { end -= 1 }
                let line = String(decoding: buffer[..<end], as: UTF8.self)
                buffer.removeFirst(newline + 1)
                record(line)
                return line
            }
            var chunk = [UInt8](repeating: 0, count: 4096)
            let count = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            guard count > 0 else { throw ScriptedSMTPServer.Failure(description: "connection closed by client") }
            buffer.append(contentsOf: chunk[..<count])
        }
    }

    /// Reads one line and requires it to start with `prefix` (case-insensitive).
    @discardableResult
    func expect(_ prefix: String) throws -> String {
        let line = try readLine()
        guard line.uppercased().hasPrefix(prefix.uppercased()) else {
            throw ScriptedSMTPServer.Failure(description: "expected \(prefix), got \(line)")
        }
        return line
    }

    /// Reads DATA lines up to the lone "." and returns them as received (still dot-stuffed).
    func readData() throws -> [String] {
        var lines: [String] = []
        while true {
            let line = try readLine()
            if line == "." { return lines }
            lines.append(line)
        }
    }

    /// Waits until the client closes the connection (or the read times out).
    func waitForClose() {
        while (try? readLine()) != nil {}
    }

    /// A standard opening: greeting, EHLO answered with `extensions`.
    func greetAndEHLO(_ extensions: [String] = ["8BITMIME"]) throws {
        try reply("220 test.local ESMTP ready")
        try expect("EHLO ")
        let lines = ["test.local greets you"] + extensions
        for (index, line) in lines.enumerated() {
            try reply((index == lines.count - 1 ? "250 " : "250-") + line)
        }
    }

    /// MAIL, RCPT for `recipients`, DATA, QUIT all accepted; returns the data lines.
    func acceptMessage(recipients: Int = 1) throws -> [String] {
        try expect("MAIL FROM:")
        try reply("250 2.1.0 ok")
        for _ in 0..<recipients {
            try expect("RCPT TO:")
            try reply("250 2.1.5 ok")
        }
        try expect("DATA")
        try reply("354 go ahead")
        let data = try readData()
        try reply("250 2.0.0 queued as 1234")
        try expect("QUIT")
        try reply("221 bye")
        return data
    }
}
