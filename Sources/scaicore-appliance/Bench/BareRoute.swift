import Foundation
import Hummingbird
import Logging
import NIOHTTP1
import ServiceLifecycle

/// A Hummingbird route with no auth and no storage, served in this process: the framework's
/// ceiling on this machine with the same load driver, printed beside the benchmarks' figures.
enum BareRoute {
    static let path = "/bare"

    static func application(onPort: @escaping @Sendable (Int?) async -> Void) -> some ApplicationProtocol {
        let router = Router()
        router.get("bare") { _, _ in "ok" }
        return Application(
            router: router, configuration: .init(address: .hostname("127.0.0.1", port: 0)),
            onServerRunning: { channel in await onPort(channel.localAddress?.port) }, logger: Logger(label: "bench.bare"))
    }

    /// Serves the route, drives it with `connections` clients for `seconds`, stops it.
    static func measure(name: String, connections: Int, seconds: Double) async throws -> LoadDriver.Result {
        let ports = PortCollector()
        let group = ServiceGroup(configuration: .init(
            services: [application { port in await ports.set("bare", port) }], logger: Logger(label: "bench.bare")))
        return try await withThrowingTaskGroup(of: LoadDriver.Result?.self) { tasks in
            tasks.addTask {
                try await group.run()
                return nil
            }
            let port = try await ports.wait("bare")
            let driver = try LoadDriver(url: "http://127.0.0.1:\(port)", connections: connections, seconds: seconds)
            let outcome = await Result { try await driver.run(name: name) { connection, _ in try await connection.send(.GET, path, auth: nil).status } }
            await group.triggerGracefulShutdown()
            try await tasks.waitForAll()
            return try outcome.get()
        }
    }
}
