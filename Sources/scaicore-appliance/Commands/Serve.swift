import Appliance
import ArgumentParser
import CoreEngine
import Foundation
import HTTP
import Hummingbird
import ListenerSupport
import Logging
import NIOCore
import Prometheus
import S3Server
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
    @Option(name: .customLong("s3-port"), help: "Port of the S3-compatible listener; 0 picks a free one (configuration key s3.port).")
    var s3Port: String?
    @Flag(help: "Use a temporary data directory, print {url, token, ...} as one JSON line, delete the directory on exit.")
    var ephemeral = false

    func validate() throws {
        if ephemeral, options.dataDir != nil { throw ValidationError("--ephemeral and --data-dir exclude each other") }
    }

    func run() async throws {
        var extra: [(key: ConfigKey, flag: String, value: String)] = []
        if let host { extra.append((.httpHost, "--host", host)) }
        if let port { extra.append((.httpPort, "--port", port)) }
        if let s3Port { extra.append((.s3Port, "--s3-port", s3Port)) }
        var ephemeralDirectory: URL?
        if ephemeral {
            let directory = FileManager.default.temporaryDirectory.appendingPathComponent("scaicore-ephemeral-\(UUID().uuidString)")
            extra.append((.dataDir, "--ephemeral", directory.path))
            // An ephemeral appliance never collides with a running one: its S3 port is free too.
            if s3Port == nil { extra.append((.s3Port, "--ephemeral", "0")) }
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

        // The ephemeral appliance hands its user an S3 key of the default tenant.
        var ephemeralKey: (id: String, secret: String)?
        if ephemeral, let firstStart, configuration.s3Listen != .off {
            let (key, secret) = try await appliance.s3Keys.issue(tenantID: firstStart.tenant.id, name: "ephemeral")
            ephemeralKey = (key.accessKeyID, secret)
        }
        let announce = Announcement(ephemeral: ephemeral, configuration: configuration, firstStart: firstStart, s3Key: ephemeralKey)
        let registry = PrometheusCollectorRegistry()
        let api = buildApplication(appliance: appliance, registry: registry) { address in await announce.bound(.api, address) }
        var services: [any Service] = [
            Listener(name: "REST API", host: configuration.httpHost, port: configuration.httpPort, application: api),
            MaintenanceService(appliance: appliance, logger: logger),
            RuntimeService(appliance: appliance),
        ]
        if let s3Host = configuration.s3Listen.host {
            let s3Configuration = S3ServerConfiguration(
                host: s3Host, port: configuration.s3Port, region: configuration.s3Region, rootDomain: configuration.s3RootDomain,
                maxObjectBytes: configuration.s3MaxObjectBytes, limits: ConnectionLimits(configuration.s3Limits))
            let s3 = buildS3Application(
                store: appliance.stores.objects, credentials: ApplianceS3Credentials(keys: appliance.s3Keys), configuration: s3Configuration,
                logger: Logger(label: "scaicore.s3"), health: appliance.health, onBreach: ConnectionMetrics.closed(listener: "s3", in: registry)
            ) { address in await announce.bound(.s3, address) }
            services.append(Listener(name: "S3 listener", host: s3Host, port: configuration.s3Port, application: s3))
        }
        let group = ServiceGroup(configuration: .init(services: services, gracefulShutdownSignals: [.sigterm, .sigint], logger: logger))
        do {
            try await group.run()
        } catch {
            await appliance.shutdown()
            // The first-start token exists now even though serving failed: show it, or it is lost.
            if let firstStart, !ephemeral { emitLine("First-start admin token (serving failed, the token is valid): \(firstStart.adminToken)") }
            throw error
        }
        logger.info("shutting down: closing storage")
        await appliance.shutdown()
    }
}

/// What `serve` prints on stdout once every listener is bound: the REST API's URL (and the S3
/// listener's), as one JSON line in ephemeral mode.
actor Announcement {
    enum Surface: Hashable { case api, s3 }

    let ephemeral: Bool
    let configuration: ApplianceConfiguration
    let firstStart: Appliance.FirstStart?
    let s3Key: (id: String, secret: String)?
    private var addresses: [Surface: SocketAddress?] = [:]
    private var announced = false

    init(ephemeral: Bool, configuration: ApplianceConfiguration, firstStart: Appliance.FirstStart?, s3Key: (id: String, secret: String)?) {
        self.ephemeral = ephemeral
        self.configuration = configuration
        self.firstStart = firstStart
        self.s3Key = s3Key
    }

    /// A listener is bound; the announcement is printed when the last one is.
    func bound(_ surface: Surface, _ address: SocketAddress?) {
        addresses[surface] = .some(address)
        let expected: Set<Surface> = configuration.s3Listen == .off ? [.api] : [.api, .s3]
        guard !announced, Set(addresses.keys) == expected else { return }
        announced = true
        announce()
    }

    private func url(_ host: String, _ address: SocketAddress??, fallback: Int) -> String {
        let port = (address ?? nil)?.port ?? fallback
        let shown = host == "0.0.0.0" ? "127.0.0.1" : host
        return "http://\(shown.contains(":") ? "[\(shown)]" : shown):\(port)"
    }

    private func announce() {
        let api = url(configuration.httpHost, addresses[.api], fallback: configuration.httpPort)
        let s3 = configuration.s3Listen.host.map { url($0, addresses[.s3], fallback: configuration.s3Port) }
        if ephemeral {
            var line: [String: JSONValue] = ["url": .string(api), "data_dir": .string(configuration.dataDirectory)]
            if let firstStart {
                line["token"] = .string(firstStart.adminToken)
                line["tenant_id"] = .string(firstStart.tenant.id)
                line["tenant"] = .string(firstStart.tenant.slug)
            }
            if let s3 {
                line["s3_url"] = .string(s3)
                line["s3_region"] = .string(configuration.s3Region)
                if let s3Key {
                    line["s3_access_key_id"] = .string(s3Key.id)
                    line["s3_secret_access_key"] = .string(s3Key.secret)
                }
            }
            emitLine(JSONValue.object(line).encodedText())
            return
        }
        emitLine("ScaiCore Appliance serving at \(api) (data directory \(configuration.dataDirectory))")
        if let s3 { emitLine("S3-compatible listener at \(s3) (region \(configuration.s3Region); keys: scaicore-appliance admin s3-key create --tenant SLUG)") }
        if let firstStart {
            emitLine("First start: created tenant '\(firstStart.tenant.slug)' and an admin token. It is shown only this once:")
            emitLine("  \(firstStart.adminToken)")
            emitLine("Try: curl -H 'Authorization: Bearer \(firstStart.adminToken)' \(api)/v1/modules/scaicore/cores")
        }
    }
}

/// A listening application as a service of the group; a failure to serve names the listener
/// and its address.
struct Listener<App: ApplicationProtocol>: Service {
    let name: String
    let host: String
    let port: Int
    let application: App

    func run() async throws {
        do {
            try await application.run()
        } catch {
            throw ListenFailure(what: name, host: host, port: port, underlying: error)
        }
    }
}

/// Serving failed: names the address and, for the common cases, what to do.
struct ListenFailure: Error, CustomStringConvertible {
    var what = "REST API"
    let host: String
    let port: Int
    let underlying: any Error

    var description: String {
        if let error = underlying as? IOError {
            switch error.errnoCode {
            case EADDRINUSE: return "\(what): cannot listen on \(host):\(port): the address is in use (choose another with \(portOption))"
            case EACCES: return "\(what): cannot listen on \(host):\(port): permission denied (ports below 1024 need privileges)"
            case EADDRNOTAVAIL: return "\(what): cannot listen on \(host):\(port): no such local address (check \(hostKey))"
            default: return "\(what): cannot listen on \(host):\(port): \(error)"
            }
        }
        return "\(what): serving on \(host):\(port) failed: \(underlying)"
    }

    private var portOption: String { what == "REST API" ? "--port or http.port" : "--s3-port or s3.port" }
    private var hostKey: String { what == "REST API" ? "http.host" : "s3.listen"
    }
}
