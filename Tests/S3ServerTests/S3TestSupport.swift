import Crypto
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Logging
import S3Server
import SigV4
import Storage

/// A listener over a fresh `LocalObjectStore` in a temporary directory, and a SigV4 signer for it.
struct S3TestHarness {
    static let region = "garage"
    static let credential = S3Credential(accessKeyID: "GKTESTKEY0001", secret: "test-secret-0001", tenant: "tenant-a")
    static let other = S3Credential(accessKeyID: "GKTESTKEY0002", secret: "test-secret-0002", tenant: "tenant-b")

    /// Runs `body` with a test client of a fresh listener; the store's directory is removed afterwards.
    static func withClient(
        maxObjectBytes: Int64 = 64 << 20, _ body: @Sendable (any TestClientProtocol) async throws -> Void
    ) async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("s3server-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let environment = try LMDBEnvironment(path: directory.appendingPathComponent("index").path, databases: LocalObjectStore.databases)
        let store = try LocalObjectStore(directory: directory.path, environment: environment)
        let app = buildS3Application(
            store: store, credentials: StaticS3CredentialStore([credential, other]),
            configuration: S3ServerConfiguration(host: "127.0.0.1", port: 0, region: region, maxObjectBytes: maxObjectBytes),
            logger: Logger(label: "s3-test"))
        try await app.test(.router) { client in try await body(client) }
    }

    static func sha256(_ bytes: [UInt8]) -> String { SigV4Hex.encode(SHA256.hash(data: bytes)) }

    /// Headers signing a request the router test client sends (its authority is `localhost`).
    static func signedHeaders(
        _ method: HTTPRequest.Method, _ path: String, query: String = "", body: [UInt8] = [], headers extra: [(String, String)] = [],
        payloadHash: String? = nil, credential: S3Credential = credential, region: String = region, date: Date = Date()
    ) -> HTTPFields {
        let request = SigV4Request(
            method: method.rawValue, path: path, query: query, headers: [("host", "localhost")] + extra.map { (name: $0.0, value: $0.1) },
            payloadHash: payloadHash ?? sha256(body))
        let signed = SigV4Signer.sign(
            request, credentials: SigV4Credentials(accessKeyID: credential.accessKeyID, secretAccessKey: credential.secret),
            amzDate: SigV4Date.amzDate(date), region: region, service: "s3", mode: .s3)
        var fields: HTTPFields = [:]
        for header in signed.headers where header.name.lowercased() != "host" {
            if let name = HTTPField.Name(header.name) { fields.append(HTTPField(name: name, value: header.value)) }
        }
        return fields
    }
}

extension TestClientProtocol {
    /// Sends a request signed by ``S3TestHarness/credential``.
    func s3(
        _ method: HTTPRequest.Method, _ path: String, query: String = "", body: [UInt8]? = nil, headers: [(String, String)] = [],
        payloadHash: String? = nil, credential: S3Credential = S3TestHarness.credential, region: String = S3TestHarness.region
    ) async throws -> TestResponse {
        let fields = S3TestHarness.signedHeaders(
            method, path, query: query, body: body ?? [], headers: headers, payloadHash: payloadHash, credential: credential, region: region)
        return try await execute(
            uri: query.isEmpty ? path : "\(path)?\(query)", method: method, headers: fields, body: body.map { ByteBuffer(bytes: $0) })
    }
}

extension TestResponse {
    var text: String { String(buffer: body) }
    var bytes: [UInt8] { Array(buffer: body) }
}
