import Appliance
import ArgumentParser
import CoreEngine
import Foundation
import Logging
import NIOCore
import NIOHTTP1
import Storage

/// `bench runtime`: the runtime of the real binary over loopback HTTP — durable event intake, a
/// three-step flow, a checkpoint round trip — with the raw SQLite reference measured in the same
/// run, and (with `--peers`) the same workloads on DBOS and LangGraph side by side.
struct BenchRuntime: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "runtime",
        abstract: "Events/s accepted (1 and 64 clients), 3-step flows/s, checkpoint round trips/s, against raw SQLite and (--peers) DBOS and LangGraph.")

    @Option(help: "Seconds per workload (after a 1 s warm-up).") var seconds = 5.0
    @Option(help: "Client counts, comma-separated.") var clients = "1,64"
    @Option(help: "Workloads to run, comma-separated: intake, flow, round-trip.") var workloads = "intake,flow,round-trip"
    @Flag(help: "Also run bench/peers (DBOS, LangGraph; installs them into .venv-peers on first use).") var peers = false
    @Option(help: "Directory of the peer workloads.") var peersDirectory = "bench/peers"

    func validate() throws {
        guard seconds > 0, seconds <= 600 else { throw ValidationError("--seconds must be in (0, 600]") }
        guard !clientCounts.isEmpty, clientCounts.allSatisfy({ (1...512).contains($0) }) else { throw ValidationError("--clients must be numbers 1...512") }
        guard !chosen.isEmpty, chosen.isSubset(of: Self.workloadNames) else { throw ValidationError("--workloads must name some of \(Self.workloadNames.sorted())") }
    }

    static let workloadNames: Set<String> = ["intake", "flow", "round-trip"]
    private var chosen: Set<String> { Set(workloads.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }) }

    private var clientCounts: [Int] { clients.split(separator: ",").compactMap { Int($0.trimmingCharacters(in: .whitespaces)) } }

    func run() async throws {
        LogSetup.bootstrap(format: .text, level: .warning)
        let server = try BenchServer.start()
        defer { server.stop() }
        let approverToken = try server.issueToken(role: "approver")
        try await workloads(server: server, approverToken: approverToken)
    }

    private func workloads(server: BenchServer, approverToken: String) async throws {
        let api = BenchAPIClient(base: "/v1/modules/scaicore")
        let admin = "Bearer \(server.token)", approver = "Bearer \(approverToken)"
        let driver = { (count: Int) in try LoadDriver(url: server.url, connections: count, seconds: seconds) }

        let (intakeCore, flowCore) = try await {
            let setup = try await BenchHTTPConnection.connect(host: driver(1).host, port: driver(1).port)
            defer { Task { await setup.close() } }
            return (try await api.core(setup, Self.bundle, auth: admin, paused: true),
                    try await api.core(setup, Self.bundle, auth: admin, paused: false))
        }()
        print("bench runtime: \(seconds) s per workload, clients \(clientCounts), binary \(server.binary)")

        // (1) durable event intake, against raw single-row SQLite transactions with the same synchronous setting.
        if chosen.contains("intake") { try await intake(api: api, driver: driver, core: intakeCore, admin: admin) }
        var flows: [Int: LoadDriver.Result] = [:]
        if chosen.contains("flow") { flows = try await flowsCompleted(api: api, driver: driver, core: flowCore, admin: admin) }
        var trips: [Int: LoadDriver.Result] = [:]
        if chosen.contains("round-trip") { trips = try await roundTrips(api: api, driver: driver, core: flowCore, admin: admin, approver: approver) }
        guard peers else { return }
        try comparePeers(flows: flows, trips: trips)
    }

    private func intake(api: BenchAPIClient, driver: (Int) throws -> LoadDriver, core: String, admin: String) async throws {
        let raw = try await Self.rawSQLiteInserts(seconds: seconds)
        print(String(format: "reference: raw SQLite single-row insert transactions (synchronous=FULL)  %9.0f tx/s", raw))
        var intake: [Int: LoadDriver.Result] = [:]
        for count in clientCounts {
            intake[count] = try await driver(count).run(name: "(1) POST /events, \(count) clients") { connection, n in
                try await api.status(connection, .POST, "/cores/\(core)/events", auth: admin, body: #"{"event_name":"bench.event","data":{"n":\#(n)}}"#)
            }
        }
        if let most = clientCounts.max(), let result = intake[most] {
            print(String(format: "ratio %d-client intake / raw SQLite transactions: %.1f (target >= 3)", most, result.perSecond / raw))
            // What HTTP alone allows on this machine: a route that does nothing, same driver, same clients.
            let ceiling = try await BareRoute.measure(name: "(1'') HTTP ceiling: bare route, \(most) clients", connections: most, seconds: seconds)
            print(String(format: "ratio HTTP ceiling / raw SQLite transactions: %.1f (intake reaches %.0f%% of the ceiling)",
                         ceiling.perSecond / raw, 100 * result.perSecond / ceiling.perSecond))
        }
        // The same intake without HTTP (in this process): what group commit does on its own.
        for count in clientCounts {
            let rate = try await Self.inProcessIntake(clients: count, seconds: seconds)
            print(String(format: "(1') EventIntake.accept in process, %d clients     %9.0f events/s   ratio to raw SQLite %.1f", count, rate, rate / raw))
        }
    }

    /// (2) a 3-step flow (set, memory.put, emit), invoked and awaited.
    private func flowsCompleted(api: BenchAPIClient, driver: (Int) throws -> LoadDriver, core: String, admin: String) async throws -> [Int: LoadDriver.Result] {
        var flows: [Int: LoadDriver.Result] = [:]
        for count in clientCounts {
            flows[count] = try await driver(count).run(name: "(2) 3-step flow completed, \(count) clients") { connection, n in
                let (status, run) = try await api.exchange(connection, .POST, "/cores/\(core)/invoke", auth: admin,
                                                           body: #"{"flow":"three","input":{"n":\#(n)},"wait":30}"#)
                return status == 200 && run?.objectValue?["status"] == "completed" ? 200 : 599
            }
        }
        return flows
    }

    /// (3) checkpoint round trip: invoke → suspended → resolve → completed.
    private func roundTrips(api: BenchAPIClient, driver: (Int) throws -> LoadDriver, core: String, admin: String, approver: String) async throws -> [Int: LoadDriver.Result] {
        var trips: [Int: LoadDriver.Result] = [:]
        for count in clientCounts {
            trips[count] = try await driver(count).run(name: "(3) checkpoint round trip, \(count) clients") { connection, n in
                try await api.roundTrip(connection, core: core, n: n, admin: admin, approver: approver)
            }
        }
        return trips
    }

    private func comparePeers(flows: [Int: LoadDriver.Result], trips: [Int: LoadDriver.Result]) throws {
        let results = try PeerRunner(directory: peersDirectory, seconds: seconds, clients: clientCounts).run()
        print("\npeers (same workloads, same machine, same run):")
        for line in results { print("  " + line.summary) }
        for (workload, mine) in [("three_step_flow", flows), ("checkpoint_round_trip", trips)] {
            for count in clientCounts {
                guard let ours = mine[count] else { continue }
                for peer in ["dbos", "langgraph"] {
                    guard let theirs = results.first(where: { $0.peer == peer && $0.workload == workload && $0.concurrency == count }) else { continue }
                    print(String(format: "ratio %@ %@ c=%d: appliance %.0f/s vs %@ %.1f/s = %.1fx (target >= 10)",
                                 workload, "", count, ours.perSecond, peer, theirs.perSecond, ours.perSecond / max(theirs.perSecond, 0.001)))
                }
            }
        }
    }

    /// Events accepted per second by ``EventIntake`` called directly (no HTTP), `clients` at once,
    /// on a fresh appliance with a paused Core (each event writes its event and run rows).
    static func inProcessIntake(clients: Int, seconds: Double) async throws -> Double {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("bench-intake-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: directory) }
        var configuration = try ConfigurationLoader(environment: [:], flags: [(.dataDir, "bench", directory.path)]).load()
        configuration.runtimeMaxQueuedRuns = 100_000_000
        let appliance = try Appliance(configuration: configuration, logger: Logger(label: "bench"))
        try await appliance.migrate()
        guard let first = try await appliance.bootstrapIfEmpty() else { throw ValidationError("bench needs an empty data directory") }
        try await appliance.start()
        let principal = Principal(tenantID: first.tenant.id, userID: "bench", role: .admin, tokenID: "bench")
        let context = ActionContext(principal: principal)
        let ir = try JSONValue.parse(Array(bundle.utf8))
        let core = try await appliance.cores.create(CoreDraft(name: "bench", ir: ir), tenantID: principal.tenantID, context: context)
        for action in [LifecycleAction.start, .pause] {
            _ = try await appliance.cores.perform(action, tenantID: principal.tenantID, id: core.id, ifMatch: nil, context: context)
        }
        let intake = appliance.runtime.intake
        let clock = ContinuousClock()
        let deadline = clock.now + .milliseconds(Int(seconds * 1000))
        let started = clock.now
        let total = try await withThrowingTaskGroup(of: Int.self) { group in
            for worker in 0..<clients {
                group.addTask {
                    var count = 0
                    while clock.now < deadline {
                        let submission = Submission(tenantID: principal.tenantID, coreID: core.id, eventName: "bench.event",
                                                    data: ["n": .integer(Int64(worker * 1_000_000 + count))], source: .api)
                        _ = try await intake.accept(submission)
                        count += 1
                    }
                    return count
                }
            }
            return try await group.reduce(0, +)
        }
        let elapsed = (clock.now - started).milliseconds / 1000
        await appliance.shutdown()
        return Double(total) / elapsed
    }

    /// Single-row insert transactions per second on a fresh SQLite file (WAL, synchronous=FULL, as the appliance).
    static func rawSQLiteInserts(seconds: Double) async throws -> Double {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("bench-raw-\(UUID().uuidString).sqlite").path
        defer { for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: path + suffix) } }
        let store = try SQLiteStore(path: path, options: SQLiteOptions(synchronous: .full))
        try await store.write { db in try db.execute("CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT NOT NULL)") }
        let clock = ContinuousClock()
        let deadline = clock.now + .milliseconds(Int(seconds * 1000))
        var count = 0
        let started = clock.now
        while clock.now < deadline {
            let n = count
            try await store.write { db in try db.execute("INSERT INTO t (v) VALUES (?)", [.text("row \(n)")]) }
            count += 1
        }
        let elapsed = (clock.now - started).milliseconds / 1000
        await store.close()
        return Double(count) / elapsed
    }

    static let bundle = """
        {"ir_version":"1.0","name":"bench","version":"0.1.0","flows":{
          "intake":{"triggers":[{"type":"event","event":"bench.event"}],"steps":[{"id":"s","op":"set","var":"x","value":"{{ input.n }}"}]},
          "three":{"triggers":[{"type":"api"}],"steps":[
            {"id":"compute","op":"set","var":"x","value":"{{ input.n * 2 }}"},
            {"id":"remember","op":"memory.put","key":"last:{{ input.n % 100 }}","value":"{{ x }}"},
            {"id":"tell","op":"emit","event":"bench.done","data":{"x":"{{ x }}"}}]},
          "ask":{"triggers":[{"type":"api"}],"steps":[
            {"id":"approval","op":"checkpoint","kind":"approval","title":"Bench {{ input.n }}","assignee":"role:approver","out":"d"},
            {"id":"done","op":"return","value":"{{ d.approved }}"}]}}}
        """
}

/// The real binary, served on an ephemeral data directory for the benchmark.
struct BenchServer {
    let process: Process
    let binary: String
    let url: String
    let token: String
    let dataDirectory: String

    static func start() throws -> BenchServer {
        let binary = URL(fileURLWithPath: CommandLine.arguments[0]).standardizedFileURL.path
        let process = Process()
        process.executableURL = URL(fileURLWithPath: binary)
        process.arguments = ["serve", "--ephemeral", "--port", "0"]
        var environment = ProcessInfo.processInfo.environment.filter { !$0.key.hasPrefix("SCAICORE_") }
        environment["SCAICORE_RUNTIME_MAX_QUEUED_RUNS"] = "10000000"
        environment["SCAICORE_LOG_LEVEL"] = "error"
        process.environment = environment
        let output = Pipe()
        process.standardOutput = output
        try process.run()
        var line = Data()
        while let byte = try output.fileHandleForReading.read(upToCount: 1), !byte.isEmpty, byte != Data("\n".utf8) { line.append(byte) }
        guard let info = try? JSONValue.parse(Array(line)), let url = info.objectValue?["url"]?.stringValue,
              let token = info.objectValue?["token"]?.stringValue, let directory = info.objectValue?["data_dir"]?.stringValue else {
            process.terminate()
            throw ValidationError("the appliance did not start: \(String(decoding: line, as: UTF8.self))")
        }
        return BenchServer(process: process, binary: binary, url: url, token: token, dataDirectory: directory)
    }

    /// Issues a token with the admin CLI on the live data directory.
    func issueToken(role: String) throws -> String {
        let admin = Process()
        admin.executableURL = URL(fileURLWithPath: binary)
        admin.arguments = ["admin", "token", "create", "--data-dir", dataDirectory, "--tenant", "default", "--role", role, "--user", "bench-\(role)"]
        let output = Pipe()
        admin.standardOutput = output
        try admin.run()
        admin.waitUntilExit()
        let text = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        guard admin.terminationStatus == 0, let secret = text.split(separator: "\t").last?.trimmingCharacters(in: .whitespacesAndNewlines) else {
            throw ValidationError("could not issue a \(role) token")
        }
        return secret
    }

    func stop() {
        process.interrupt()
        process.waitUntilExit()
    }
}

/// The few API calls the runtime benchmark makes, on a given connection.
struct BenchAPIClient: Sendable {
    /// The path prefix of the module's API.
    let base: String

    func status(_ connection: BenchHTTPConnection, _ method: HTTPMethod, _ path: String, auth: String, body: String?) async throws -> Int {
        try await connection.send(method, base + path, auth: auth, body: body).status
    }

    func exchange(_ connection: BenchHTTPConnection, _ method: HTTPMethod, _ path: String, auth: String, body: String?) async throws -> (Int, JSONValue?) {
        try await connection.exchange(method, base + path, auth: auth, body: body)
    }

    /// Creates and starts a Core (paused when asked); answers its id.
    func core(_ connection: BenchHTTPConnection, _ ir: String, auth: String, paused: Bool) async throws -> String {
        let (status, created) = try await exchange(connection, .POST, "/cores", auth: auth, body: #"{"name":"bench \#(UUID().uuidString.prefix(8))","ir":\#(ir)}"#)
        guard status == 201, let id = created?.objectValue?["id"]?.stringValue else { throw ValidationError("could not create the bench Core (\(status))") }
        _ = try await exchange(connection, .POST, "/cores/\(id)/start", auth: auth, body: nil)
        if paused { _ = try await exchange(connection, .POST, "/cores/\(id)/pause", auth: auth, body: nil) }
        return id
    }

    /// One checkpoint round trip; answers 200 when the run completed approved.
    func roundTrip(_ connection: BenchHTTPConnection, core: String, n: Int, admin: String, approver: String) async throws -> Int {
        let (status, run) = try await exchange(connection, .POST, "/cores/\(core)/invoke", auth: admin, body: #"{"flow":"ask","input":{"n":\#(n)},"wait":30}"#)
        guard status == 200, let runID = run?.objectValue?["id"]?.stringValue, let checkpoint = run?.objectValue?["checkpoint_id"]?.stringValue else { return 598 }
        // Resolve with `wait`: the answer carries the resumed run once it has completed.
        let (resolved, answer) = try await exchange(connection, .POST, "/checkpoints/\(checkpoint)/resolve", auth: approver,
                                                    body: #"{"decision":"approved","wait":30}"#)
        guard resolved == 200 else { return resolved }
        let current = answer?.objectValue?["run"]
        guard current?.objectValue?["id"]?.stringValue == runID else { return 595 }
        switch current?.objectValue?["status"]?.stringValue {
        case "completed": return 200
        case "failed", "cancelled": return 597
        default: return 596
        }
    }
}
