import ArgumentParser
import CoreEngine
import Foundation

/// Runs the peer workloads of `bench/peers` (DBOS, LangGraph) and reads their JSON lines.
struct PeerRunner {
    let directory: String
    let seconds: Double
    let clients: [Int]

    /// One peer measurement, as `run_peers.py` prints it.
    struct Line {
        let peer: String
        let workload: String
        let concurrency: Int
        let perSecond: Double
        let p50: Double
        let notes: String

        var summary: String {
            String(format: "%@ %@ c=%d: %.1f/s, p50 %.1f ms", peer, workload, concurrency, perSecond, p50)
        }
    }

    func run() throws -> [Line] {
        let setup = directory + "/setup.sh"
        guard FileManager.default.fileExists(atPath: setup) else {
            throw ValidationError("no peer workloads at \(directory) (run from the repository root or give --peers-directory)")
        }
        try Self.execute("/bin/bash", [setup], capture: false)
        let workdir = FileManager.default.temporaryDirectory.appendingPathComponent("bench-peers-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: workdir) }
        let root = URL(fileURLWithPath: directory).deletingLastPathComponent().deletingLastPathComponent().path
        let python = root + "/.venv-peers/bin/python"
        let output = try Self.execute(python, [
            directory + "/run_peers.py", "--seconds", String(seconds), "--workdir", workdir,
            "--concurrency", clients.map(String.init).joined(separator: ","),
        ], capture: true)
        return output.split(separator: "\n").compactMap { text in
            guard let fields = (try? JSONValue.parse(Array(text.utf8)))?.objectValue,
                  let peer = fields["peer"]?.stringValue, let workload = fields["workload"]?.stringValue else { return nil }
            func number(_ key: String) -> Double {
                switch fields[key] {
                case .integer(let value): Double(value)
                case .double(let value): value
                default: 0
                }
            }
            return Line(peer: peer, workload: workload, concurrency: Int(number("concurrency")), perSecond: number("per_second"),
                        p50: number("p50_ms"), notes: fields["notes"]?.stringValue ?? "")
        }
    }

    @discardableResult
    static func execute(_ executable: String, _ arguments: [String], capture: Bool) throws -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        let output = Pipe()
        if capture { process.standardOutput = output }
        try process.run()
        let data = capture ? output.fileHandleForReading.readDataToEndOfFile() : Data()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else { throw ValidationError("\(executable) \(arguments.first ?? "") exited \(process.terminationStatus)") }
        return String(decoding: data, as: UTF8.self)
    }
}
