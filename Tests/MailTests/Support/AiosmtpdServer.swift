import Foundation

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// A real SMTP server (Python's aiosmtpd) run as a subprocess for end-to-end tests.
///
/// `SCAICORE_TEST_PYTHON` names a Python with aiosmtpd installed; the server binds a free port on
/// 127.0.0.1, writes it to a file, and appends one JSON line per accepted message (envelope, raw
/// content, TLS and AUTH state, and the message as Python's `email` package parses it).
final class AiosmtpdServer: Sendable {
    enum Mode: String, Sendable {
        case plain, starttls, tls
    }

    /// One message the server accepted.
    struct Received: Decodable, Sendable {
        var mailFrom: String
        var rcptTos: [String]
        var content: String
        var tls: Bool
        var authenticated: Bool
        var authMechanism: String?
        var subject: String
        var body: String
        var defects: [String]
        var headerNames: [String]
    }

    struct Failure: Error, CustomStringConvertible {
        var description: String
    }

    /// The Python named by `SCAICORE_TEST_PYTHON`, if set.
    static var python: String? {
        guard let path = ProcessInfo.processInfo.environment["SCAICORE_TEST_PYTHON"], !path.isEmpty else { return nil }
        return path
    }

    /// An `openssl` binary to make the test certificate with.
    static var openssl: String? {
        ["/usr/bin/openssl", "/usr/local/bin/openssl", "/opt/homebrew/bin/openssl"].first {
            FileManager.default.isExecutableFile(atPath: $0)
        }
    }

    let port: Int
    private let process: Process
    /// The server's stdin: it exits when this closes, even if the test process dies.
    private let input = Pipe()
    private let directory: URL
    private let outputFile: URL

    /// Starts the server and waits (up to 20 s) for it to listen.
    init(
        mode: Mode, username: String? = nil, password: String? = nil, excludeMechanisms: [String] = []
    ) async throws {
        guard let python = Self.python else { throw Failure(description: "SCAICORE_TEST_PYTHON is not set") }
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("mailtests-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let script = directory.appendingPathComponent("server.py")
        try Self.script.write(to: script, atomically: true, encoding: .utf8)
        outputFile = directory.appendingPathComponent("received.jsonl")
        let portFile = directory.appendingPathComponent("port")
        var certificate: (cert: String, key: String)?
        if mode != .plain {
            certificate = try await Self.makeCertificate(in: directory)
        }
        let options: [String: Any] = [
            "mode": mode.rawValue, "out": outputFile.path, "port_file": portFile.path,
            "cert": certificate?.cert ?? "", "key": certificate?.key ?? "",
            "user": username ?? "", "password": password ?? "", "exclude": excludeMechanisms,
        ]
        let optionsData = try JSONSerialization.data(withJSONObject: options)
        process = Process()
        process.executableURL = URL(fileURLWithPath: python)
        process.arguments = [script.path, String(decoding: optionsData, as: UTF8.self)]
        process.standardInput = input
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        let log = directory.appendingPathComponent("server.log")
        _ = FileManager.default.createFile(atPath: log.path, contents: nil)
        if let handle = try? FileHandle(forWritingTo: log) { process.standardError = handle }
        try process.run()

        let deadline = ContinuousClock.now + .seconds(20)
        while true {
            if let text = try? String(contentsOf: portFile, encoding: .utf8),
                let port = Int(text.trimmingCharacters(in: .whitespacesAndNewlines))
            {
                self.port = port
                break
            }
            guard process.isRunning, ContinuousClock.now < deadline else {
                kill(process.processIdentifier, SIGKILL)
                let logText = (try? String(contentsOf: log, encoding: .utf8)) ?? ""
                throw Failure(description: "aiosmtpd did not start: \(logText)")
            }
            try await Task.sleep(for: .milliseconds(50))
        }
    }

    /// The messages the server accepted so far.
    func received() throws -> [Received] {
        guard let text = try? String(contentsOf: outputFile, encoding: .utf8) else { return [] }
        return try text.split(separator: "\n").map { line in
            try JSONDecoder().decode(Received.self, from: Data(line.utf8))
        }
    }

    /// Stops the server (closing its stdin ends it; SIGKILL if it lingers) and removes its files.
    func stop() {
        try? input.fileHandleForWriting.close()
        let deadline = ContinuousClock.now + .seconds(5)
        while process.isRunning, ContinuousClock.now < deadline {
            usleep(20_000)
        }
        if process.isRunning {
            kill(process.processIdentifier, SIGKILL)
        }
        try? FileManager.default.removeItem(at: directory)
    }

    private static func makeCertificate(in directory: URL) async throws -> (cert: String, key: String) {
        guard let openssl else { throw Failure(description: "openssl not found") }
        let cert = directory.appendingPathComponent("cert.pem").path
        let key = directory.appendingPathComponent("key.pem").path
        let process = Process()
        process.executableURL = URL(fileURLWithPath: openssl)
        process.arguments = [
            "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
            "-keyout", key, "-out", cert, "-days", "2", "-subj", "/CN=localhost",
            "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1",
        ]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        while process.isRunning { try await Task.sleep(for: .milliseconds(20)) }
        guard process.terminationStatus == 0 else { throw Failure(description: "openssl failed") }
        return (cert, key)
    }

    private static let script = #"""
        import asyncio, base64, email, email.policy, json, os, signal, ssl, sys, threading
        from aiosmtpd.smtp import SMTP, AuthResult, LoginPassword

        # The parent may have blocked signals; a test server must stay killable.
        signal.pthread_sigmask(signal.SIG_UNBLOCK, signal.valid_signals())
        # Exit as soon as the test closes our stdin (or dies).
        threading.Thread(target=lambda: (sys.stdin.read(), os._exit(0)), daemon=True).start()

        opts = json.loads(sys.argv[1])

        class Handler:
            async def handle_DATA(self, server, session, envelope):
                raw = envelope.original_content or b""
                msg = email.message_from_bytes(raw, policy=email.policy.default)
                body = msg.get_content().replace("\r\n", "\n") if not msg.is_multipart() else ""
                record = {
                    "mailFrom": envelope.mail_from,
                    "rcptTos": envelope.rcpt_tos,
                    "content": base64.b64encode(raw).decode(),
                    "tls": session.ssl is not None or server.transport.get_extra_info("ssl_object") is not None,
                    "authenticated": bool(session.authenticated),
                    "authMechanism": session.auth_data if isinstance(session.auth_data, str) else None,
                    "subject": str(msg["subject"]),
                    "body": body,
                    "defects": [repr(d) for d in msg.defects] + [repr(d) for part in msg.walk() for d in part.defects],
                    "headerNames": list(msg.keys()),
                }
                with open(opts["out"], "a") as f:
                    f.write(json.dumps(record) + "\n")
                return "250 OK"

        def authenticator(server, session, envelope, mechanism, auth_data):
            ok = (isinstance(auth_data, LoginPassword)
                  and auth_data.login == opts["user"].encode()
                  and auth_data.password == opts["password"].encode())
            return AuthResult(success=ok, handled=False, auth_data=mechanism if ok else None)

        async def main():
            loop = asyncio.get_running_loop()
            context = None
            if opts["cert"]:
                context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
                context.load_cert_chain(opts["cert"], opts["key"])
            kwargs = {"hostname": "localhost", "loop": loop}
            if opts["mode"] == "starttls":
                kwargs.update(tls_context=context, require_starttls=True)
            if opts["user"]:
                # aiosmtpd counts only STARTTLS as TLS for AUTH, so implicit TLS needs auth_require_tls off.
                kwargs.update(authenticator=authenticator, auth_required=True,
                              auth_require_tls=opts["mode"] == "starttls")
            if opts["exclude"]:
                kwargs["auth_exclude_mechanism"] = opts["exclude"]
            server = await loop.create_server(
                lambda: SMTP(Handler(), **kwargs), "127.0.0.1", 0,
                ssl=context if opts["mode"] == "tls" else None)
            port = server.sockets[0].getsockname()[1]
            with open(opts["port_file"] + ".tmp", "w") as f:
                f.write(str(port))
            os.replace(opts["port_file"] + ".tmp", opts["port_file"])
            await asyncio.sleep(120)  # never outlive a stuck test run by much

        asyncio.run(main())
        """#
}
