import ArgumentParser
import Foundation
import Logging

/// `bench storage`: the embedded stores against raw references measured in the same run.
struct BenchStorage: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "storage",
        abstract: "KeyValueStore get/put vs raw LMDB calls; S3 listener 4 KiB PUT/GET and 64 MiB GET vs raw file loops.")

    @Option(help: "Seconds per measurement.") var seconds = 3.0
    @Option(help: "Concurrent S3 clients.") var clients = 16
    @Option(help: "Directory for the benchmark's files (default: a new temporary directory, removed afterwards).") var directory: String?

    func validate() throws {
        guard seconds > 0, seconds <= 600 else { throw ValidationError("--seconds must be in (0, 600]") }
        guard (1...256).contains(clients) else { throw ValidationError("--clients must be 1...256") }
    }

    func run() async throws {
        LogSetup.bootstrap(format: .text, level: .warning)
        let base = directory ?? FileManager.default.temporaryDirectory.appendingPathComponent("scaicore-bench-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: base, withIntermediateDirectories: true)
        defer { if directory == nil { try? FileManager.default.removeItem(atPath: base) } }
        print("bench storage: \(seconds) s per measurement, files in \(base)")
        try await KeyValueBench(seconds: seconds, directory: base).run()
        try await S3Bench(seconds: seconds, directory: base, clients: clients).run()
    }
}
