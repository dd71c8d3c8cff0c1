import AsyncHTTPClient
import Foundation
import Hummingbird
import Logging
import NIOCore
import NIOHTTP1
import S3Server
import ServiceLifecycle
import SigV4
import Storage

/// Part 2 of `bench storage`: the S3 listener over loopback HTTP (4 KiB PUT and GET ops/s with
/// concurrent clients, 64 MiB GET MiB/s) against raw file-system loops in the same run: 4 KiB
/// write+fsync+rename, and reading a 64 MiB file.
struct S3Bench {
    let seconds: Double
    let directory: String
    let clients: Int

    private static let credentials = SigV4Credentials(accessKeyID: "GKBENCH0000000000000000000", secretAccessKey: "bench-secret")
    private static let region = "garage"

    func run() async throws {
        let environment = try LMDBEnvironment(path: directory + "/s3-lmdb", databases: LocalObjectStore.databases)
        let store = try LocalObjectStore(directory: directory + "/s3-objects", environment: environment)
        let keys = StaticS3CredentialStore([S3Credential(accessKeyID: Self.credentials.accessKeyID, secret: Self.credentials.secretAccessKey, tenant: "bench")])
        let ports = PortCollector()
        let app = buildS3Application(
            store: store, credentials: keys, configuration: S3ServerConfiguration(host: "127.0.0.1", port: 0, region: Self.region),
            logger: Logger(label: "bench.s3"), onServerRunning: { address in await ports.set("s3", address?.port) })
        let group = ServiceGroup(configuration: .init(services: [app], logger: Logger(label: "bench")))

        try await withThrowingTaskGroup(of: Void.self) { tasks in
            tasks.addTask { try await group.run() }
            let port = try await ports.wait("s3")
            let client = HTTPClient(
                eventLoopGroupProvider: .singleton,
                configuration: .init(connectionPool: .init(idleTimeout: .seconds(60), concurrentHTTP1ConnectionsPerHostSoftLimit: clients)))
            let base = "http://127.0.0.1:\(port)"
            _ = try await send(client, base: base, method: .PUT, path: "/bench", body: nil)

            // Small objects.
            let small = [UInt8](repeating: 0x5A, count: 4096)
            let smallBody = ByteBuffer(bytes: small)
            let puts = try await concurrentRate(seconds, clients: clients) { n in
                let status = try await send(client, base: base, method: .PUT, path: "/bench/small/\(n)", body: smallBody)
                guard status == 200 else { throw BenchFailure("PUT answered \(status)") }
            }
            let rawPuts = try rawRate(seconds) { n in try rawWriteFsyncRename(small, index: n) }
            print(String(format: "s3 PUT 4 KiB, %d clients: %.0f ops/s; raw write+fsync+rename loop: %.0f ops/s; ratio %.2f (target >= 0.3)",
                         clients, puts, rawPuts, puts / rawPuts))
            // Objects written above are named small/<client*1e6+n>: read those that exist.
            let listed = try await store.listObjects(bucket: "bench", tenant: "bench", prefix: "small/", delimiter: nil, after: nil, maxKeys: 1000)
            let names = listed.objects.map(\.key)
            guard !names.isEmpty else { throw BenchFailure("no objects to read") }
            let gets = try await concurrentRate(seconds, clients: clients) { n in
                let status = try await send(client, base: base, method: .GET, path: "/bench/" + names[n % names.count], body: nil)
                guard status == 200 else { throw BenchFailure("GET answered \(status)") }
            }
            print(String(format: "s3 GET 4 KiB, %d clients: %.0f ops/s", clients, gets))

            // One large object.
            let large = (0..<(64 << 20)).map { UInt8(truncatingIfNeeded: $0 &* 2_654_435_761 >> 13) }
            _ = try await store.putObject(bucket: "bench", key: "large", tenant: "bench", bytes: large)
            let largeRate = try await megabytesPerSecond(seconds, bytes: large.count) {
                try await download(client, base: base, path: "/bench/large")
            }
            let rawPath = directory + "/raw-large"
            guard FileManager.default.createFile(atPath: rawPath, contents: Data(large)) else { throw BenchFailure("cannot write \(rawPath)") }
            let rawRead = try await megabytesPerSecond(seconds, bytes: large.count) { try rawReadFile(rawPath) }
            print(String(format: "s3 GET 64 MiB: %.0f MiB/s (target >= 1024); raw read of the same bytes from a file: %.0f MiB/s; ratio %.2f",
                         largeRate, rawRead, largeRate / rawRead))

            try await client.shutdown()
            await group.triggerGracefulShutdown()
            try await tasks.waitForAll()
        }
    }

    /// Sends a signed request (payload UNSIGNED-PAYLOAD, as over TLS or with presigned URLs);
    /// answers the status after reading the body.
    private func send(_ client: HTTPClient, base: String, method: HTTPMethod, path: String, body: ByteBuffer?) async throws -> Int {
        var request = HTTPClientRequest(url: base + path)
        request.method = method
        for (name, value) in signedHeaders(method: method.rawValue, path: path, base: base) { request.headers.add(name: name, value: value) }
        if let body { request.body = .bytes(body) }
        let response = try await client.execute(request, timeout: .seconds(60))
        _ = try await response.body.collect(upTo: 1 << 20)
        return Int(response.status.code)
    }

    /// Streams a GET's body, counting bytes.
    private func download(_ client: HTTPClient, base: String, path: String) async throws -> Int {
        var request = HTTPClientRequest(url: base + path)
        for (name, value) in signedHeaders(method: "GET", path: path, base: base) { request.headers.add(name: name, value: value) }
        let response = try await client.execute(request, timeout: .seconds(120))
        var total = 0
        for try await chunk in response.body { total += chunk.readableBytes }
        guard response.status == .ok else { throw BenchFailure("GET large answered \(response.status.code)") }
        return total
    }

    private func signedHeaders(method: String, path: String, base: String) -> [(name: String, value: String)] {
        let host = String(base.dropFirst("http://".count))
        let request = SigV4Request(method: method, path: path, query: "", headers: [(name: "Host", value: host)], payloadHash: SigV4PayloadHash.unsignedPayload)
        let signed = SigV4Signer.sign(request, credentials: Self.credentials, amzDate: SigV4Date.amzDate(Date()), region: Self.region, service: "s3", mode: .s3)
        return signed.headers.filter { $0.name.lowercased() != "host" }
    }

    /// The reference for small PUTs: a new file, 4 KiB written, fsync, rename into place.
    private func rawWriteFsyncRename(_ bytes: [UInt8], index: Int) throws {
        let temporary = directory + "/raw-\(index).tmp"
        let descriptor = open(temporary, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o600)
        guard descriptor >= 0 else { throw BenchFailure("open failed") }
        _ = bytes.withUnsafeBytes { write(descriptor, $0.baseAddress, $0.count) }
        fsync(descriptor)
        close(descriptor)
        rename(temporary, directory + "/raw-\(index % 1000)")
    }

    private func rawReadFile(_ path: String) throws -> Int {
        let descriptor = open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else { throw BenchFailure("open failed") }
        defer { close(descriptor) }
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 1 << 20, alignment: 16)
        defer { buffer.deallocate() }
        var total = 0
        while true {
            let count = read(descriptor, buffer.baseAddress, buffer.count)
            if count <= 0 { return total }
            total += count
        }
    }

    private func megabytesPerSecond(_ seconds: Double, bytes: Int, _ body: () async throws -> Int) async throws -> Double {
        let clock = ContinuousClock()
        _ = try await body()  // warm the page cache and the connection
        let start = clock.now
        var total = 0
        repeat { total += try await body() } while clock.now - start < .milliseconds(Int(seconds * 1000))
        guard total % bytes == 0 else { throw BenchFailure("short read: \(total) bytes") }
        return Double(total) / Double(1 << 20) / (clock.now - start).seconds
    }
}

struct BenchFailure: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
