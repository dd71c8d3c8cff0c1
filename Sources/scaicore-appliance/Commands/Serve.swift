import Appliance
import ArgumentParser
import CoreEngine
import Foundation
import HTTP
import Hummingbird
import Logging
import NIOCore
import ServiceLifecycle
import UnixSignals

/// `serve`: runs the appliance until SIGTERM or SIGINT, then shuts down gracefully
/// (stops accepting, finishes in-flight requests, closes storage).
struct Serve: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run the appliance.",
        discussion: """
            With --ephemeral the appliance runs on a temporary data directory that is deleted on exit, and prints one \
            JSON line on stdout with its URL and an admin token: the integration-test-fixture mode.
            """)

    @OptionGroup var options: ConfigOptions
    @Option(help: "Address to listen on (configuration key http.host).") var host: String?
    @Option(help: "Port to listen on; 0 picks a free one (configuration key http.port).") var port: String?
    @Flag(help: "Use a temporary data directory, print {url, token, ...} as one JSON line, delete the directory on exit.")
    var ephemeral = false

    func validate() throws {
        if ephemeral, options.dataDir != nil { throw ValidationError("--ephemeral and --data-dir exclude each other") }
    }

    func run() async throws {
        var extra: [(key: ConfigKey, flag: String, value: String)] = []
        if let host { extra.append((.httpHost, "--host", host)) }
        if let port { extra.append((.httpPort, "--port", port)) }
        var ephemeralDirectory: URL?
        if ephemeral {
            let directory = FileManager.default.temporaryDirectory.appendingPathComponent("scaicore-ephemeral-\(UUID().uuidString)")
            extra.append((.dataDir, "--ephemeral", directory.path))
            ephemeralDirectory = directory
        }
        let configuration = try options.load(extra: extra)
        LogSetup.bootstrap(format: configuration.logFormat, level: configuration.logLevel)
        let logger = Logger(label: "scaicore.appliance")
        defer { if let ephemeralDirectory { try? FileManager.default.removeItem(at: ephemeralDirectory) } }

        let appliance = try Appliance(configuration: configuration, logger: logger)
        try await appliance.migrate()
        let firstStart = try await appliance.bootstrapIfEmpty()
        try await appliance.start()

        let announce = Announcement(ephemeral: ephemeral, configuration: configuration, firstStart: firstStart)
        let app = buildApplication(appliance: appliance) { address in announce.serving(at: address) }
        do {
            try await app.runService(gracefulShutdownSignals: [.sigterm, .sigint])
        } catch {
            await appliance.shutdown()
            // The first-start token exists now even though serving failed: show it, or it is lost.
            if let firstStart, !ephemeral { emitLine("First-start admin token (serving failed, the token is valid): \(firstStart.adminToken)") }
            throw ListenFailure(host: configuration.httpHost, port: configuration.httpPort, underlying: error)
        }
        logger.info("shutting down: closing storage")
        await appliance.shutdown()
    }
}

/// What `serve` prints on stdout once the listener is bound.
struct Announcement: Sendable {
    let ephemeral: Bool
    let configuration: ApplianceConfiguration
    let firstStart: Appliance.FirstStart?

    func serving(at address: SocketAddress?) {
        let port = address?.port ?? configuration.httpPort
        let host = configuration.httpHost.contains(":") ? "[\(configuration.httpHost)]" : configuration.httpHost
        let url = "http://\(host):\(port)"
        if ephemeral {
            var line: [String: JSONValue] = ["url": .string(url), "data_dir": .string(configuration.dataDirectory)]
            if let firstStart {
                line["token"] = .string(firstStart.adminToken)
                line["tenant_id"] = .string(firstStart.tenant.id)
                line["tenant"] = .string(firstStart.tenant.slug)
            }
            emitLine(JSONValue.object(line).encodedText())
            return
        }
        emitLine("ScaiCore Appliance serving at \(url) (data directory \(configuration.dataDirectory))")
        if let firstStart {
            emitLine("First start: created tenant '\(firstStart.tenant.slug)' and an admin token. It is shown only this once:")
            emitLine("  \(firstStart.adminToken)")
            emitLine("Try: curl -H 'Authorization: Bearer \(firstStart.adminToken)' \(url)/v1/modules/scaicore/cores")
        }
    }
}

/// Serving failed: names the address and, for the common cases, what to do.
struct ListenFailure: Error, CustomStringConvertible {
    let host: String
    let port: Int
    let underlying: any Error

    var description: String {
        if let error = underlying as? IOError {
            switch error.errnoCode {
            case EADDRINUSE: return "cannot listen on \(host):\(port): the address is in use (choose another with --port or http.port)"
            case EACCES: return "cannot listen on \(host):\(port): permission denied (ports below 1024 need privileges)"
            case EADDRNOTAVAIL: return "cannot listen on \(host):\(port): no such local address (check http.host)"
            default: return "cannot listen on \(host):\(port): \(error)"
            }
        }
        return "serving on \(host):\(port) failed: \(underlying)"
    }
}
