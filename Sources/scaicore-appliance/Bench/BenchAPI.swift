import Appliance
import ArgumentParser
import CoreEngine
import Foundation
import HTTP
import Hummingbird
import Logging
import NIOCore
import NIOHTTP1
import ServiceLifecycle

/// `bench api`: drives the REST API over loopback HTTP with N concurrent connections and
/// compares it with a bare Hummingbird route (no auth, no storage) served by the same process.
struct BenchAPI: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "api",
        abstract: "Requests/s and p50/p99 of authenticated GET /cores/{id} and POST /cores, against a bare route as the ceiling.")

    @Option(help: "Concurrent connections.") var connections = 16
    @Option(help: "Seconds per workload (after a 1 s warm-up).") var seconds = 5.0

    func validate() throws {
        guard (1...512).contains(connections) else { throw ValidationError("--connections must be 1...512") }
        guard seconds > 0, seconds <= 600 else { throw ValidationError("--seconds must be in (0, 600]") }
    }

    func run() async throws {
        LogSetup.bootstrap(format: .text, level: .warning)
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("scaicore-bench-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: directory) }
        var configuration = try ConfigurationLoader(environment: [:], flags: [
            (.dataDir, "bench", directory.path), (.httpPort, "bench", "0"),
        ]).load()
        configuration.maxBodyBytes = 1 << 20
        let appliance = try Appliance(configuration: configuration, logger: Logger(label: "bench"))
        try await appliance.migrate()
        guard let first = try await appliance.bootstrapIfEmpty() else { throw ValidationError("bench needs an empty data directory") }

        let ports = PortCollector()
        let api = buildApplication(appliance: appliance) { address in await ports.set("api", address?.port) }
        let bare = BareRoute.application { port in await ports.set("bare", port) }
        let group = ServiceGroup(configuration: .init(services: [api, bare], logger: Logger(label: "bench")))

        try await withThrowingTaskGroup(of: Void.self) { tasks in
            tasks.addTask { try await group.run() }
            let apiPort = try await ports.wait("api")
            let barePort = try await ports.wait("bare")
            let setup = try await BenchHTTPConnection.connect(host: "127.0.0.1", port: apiPort)
            let base = "/v1/modules/scaicore"
            let auth = "Bearer \(first.adminToken)"
            let coreBody = #"{"name":"bench","ir":\#(Self.minimalIR)}"#
            let (_, created) = try await setup.exchange(.POST, base + "/cores", auth: auth, body: coreBody)
            await setup.close()
            guard let id = created?.objectValue?["id"]?.stringValue else { throw ValidationError("could not create the bench Core: \(created.map { $0.encodedText() } ?? "no JSON")") }

            print("bench api: \(connections) connections, \(seconds) s per workload, debug=\(isDebugBuild)")
            let bareDriver = try LoadDriver(url: "http://127.0.0.1:\(barePort)", connections: connections, seconds: seconds)
            let ceiling = try await bareDriver.run(name: "bare GET /bare (no auth, no storage)") { connection, _ in
                try await connection.send(.GET, BareRoute.path, auth: nil).status
            }
            let driver = try LoadDriver(url: "http://127.0.0.1:\(apiPort)", connections: connections, seconds: seconds)
            let read = try await driver.run(name: "GET /cores/{id} (bearer auth, SQLite read)") { connection, _ in
                try await connection.send(.GET, base + "/cores/" + id, auth: auth).status
            }
            let write = try await driver.run(name: "POST /cores (bearer auth, SQLite write+fsync)") { connection, n in
                try await connection.send(
                    .POST, base + "/cores", auth: auth,
                    body: #"{"name":"bench \#(n)","ir":\#(Self.minimalIR)}"#).status
            }
            print(String(format: "ratio authenticated GET / bare route: %.2f (target >= 0.50)", read.perSecond / ceiling.perSecond))
            print(String(format: "ratio POST /cores / bare route: %.2f", write.perSecond / ceiling.perSecond))
            await group.triggerGracefulShutdown()
            try await tasks.waitForAll()
        }
        await appliance.shutdown()
    }

    /// The smallest IR the API accepts: one flow of one step.
    static let minimalIR = #"{"ir_version":"1.0","name":"bench","version":"0.1.0","flows":{"f":{"triggers":[{"type":"api"}],"steps":[{"id":"s","op":"set","var":"x","value":1}]}}}"#

    private var isDebugBuild: Bool {
        #if DEBUG
        true
        #else
        false
        #endif
    }
}

/// Collects the ports servers bound to, for code waiting on them.
actor PortCollector {
    private var ports: [String: Int] = [:]

    func set(_ name: String, _ port: Int?) { ports[name] = port }

    func wait(_ name: String) async throws -> Int {
        for _ in 0..<500 {
            if let port = ports[name] { return port }
            try await Task.sleep(for: .milliseconds(10))
        }
        throw ValidationError("server \(name) did not start")
    }
}
