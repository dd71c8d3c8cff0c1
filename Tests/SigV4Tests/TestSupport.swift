import Foundation
import SigV4

/// Where the AWS SigV4 test-suite vectors live: `<repo>/fixtures/sigv4`, found from this file's path
/// so the tests do not depend on the working directory.
enum Fixtures {
    static let repositoryRoot: URL = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent()  // Tests/SigV4Tests
        .deletingLastPathComponent()  // Tests
        .deletingLastPathComponent()  // repository root

    static let suiteDirectory: URL = repositoryRoot
        .appendingPathComponent("fixtures", isDirectory: true)
        .appendingPathComponent("sigv4", isDirectory: true)

    /// Every case of the suite, as its directory relative to ``suiteDirectory`` (e.g.
    /// `normalize-path/get-slash`), sorted. Empty when the fixtures are missing.
    static func suiteCases() -> [String] {
        let paths = (try? FileManager.default.subpathsOfDirectory(atPath: suiteDirectory.path)) ?? []
        return paths.filter { $0.hasSuffix(".req") }
            .map { ($0 as NSString).deletingLastPathComponent }
            .sorted()
    }

    /// The text of `<case>/<basename>.<ext>`, with CRs removed (as botocore reads them).
    static func suiteFile(_ name: String, _ ext: String) throws -> String {
        let base = (name as NSString).lastPathComponent
        let url = suiteDirectory.appendingPathComponent(name, isDirectory: true)
            .appendingPathComponent(base + "." + ext)
        return try String(contentsOf: url, encoding: .utf8).replacingOccurrences(of: "\r", with: "")
    }
}

/// An HTTP request read from a test-suite `.req` file: request line, headers (a line starting with
/// a space or tab continues the previous header: obsolete line folding), blank line, body.
struct RawHTTPRequest {
    var method: String
    var target: String
    var headers: [(name: String, value: String)]
    var body: [UInt8]

    struct ParseError: Error, CustomStringConvertible {
        var description: String
    }

    init(_ text: String) throws {
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        guard let requestLine = lines.first,
            let firstSpace = requestLine.firstIndex(of: " "),
            let lastSpace = requestLine.lastIndex(of: " "),
            firstSpace < lastSpace
        else { throw ParseError(description: "bad request line in \(text)") }
        method = String(requestLine[..<firstSpace])
        target = String(requestLine[requestLine.index(after: firstSpace)..<lastSpace])
        headers = []
        var index = 1
        while index < lines.count, !lines[index].isEmpty {
            let line = lines[index]
            if line.first == " " || line.first == "\t" {
                guard !headers.isEmpty else { throw ParseError(description: "continuation without a header") }
                headers[headers.count - 1].value += "\n" + line
            } else {
                guard let colon = line.firstIndex(of: ":") else { throw ParseError(description: "bad header \(line)") }
                headers.append((name: String(line[..<colon]), value: String(line[line.index(after: colon)...])))
            }
            index += 1
        }
        let bodyLines = index + 1 < lines.count ? Array(lines[(index + 1)...]) : []
        body = Array(bodyLines.joined(separator: "\n").utf8)
    }
}

/// The credentials, date and scope of the Amazon S3 documentation examples.
enum S3Example {
    static let credentials = SigV4Credentials(
        accessKeyID: "AKIAIOSFODNN7EXAMPLE", secretAccessKey: "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY")
    static let amzDate = "20130524T000000Z"
    static let scope = SigV4Scope(date: "20130524", region: "us-east-1", service: "s3")
    /// 2013-05-24T00:00:00Z.
    static let now = Date(timeIntervalSince1970: 1_369_353_600)
    static let emptySHA256 = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"

    static func secret(_ accessKeyID: String) -> String? {
        accessKeyID == credentials.accessKeyID ? credentials.secretAccessKey : nil
    }
}

/// Whether `error` is ``SigV4Error/signatureDoesNotMatch(canonicalRequest:stringToSign:)``, whatever
/// its canonical request and string to sign.
func isSignatureMismatch(_ error: SigV4Error?) -> Bool {
    if case .signatureDoesNotMatch? = error { return true }
    return false
}

/// The ``SigV4Error`` that `body` throws, or `nil` when it returns (or throws something else).
func thrownError(_ body: () throws -> Void) -> SigV4Error? {
    do {
        try body()
        return nil
    } catch let error as SigV4Error {
        return error
    } catch {
        return nil
    }
}
