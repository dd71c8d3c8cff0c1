import Appliance
import Foundation
import Testing

@Suite struct ConfigurationTests {
    let directory: URL

    init() throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("config-tests-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    }

    func file(_ text: String) throws -> String {
        let url = directory.appendingPathComponent("\(UUID().uuidString).yaml")
        try text.write(to: url, atomically: true, encoding: .utf8)
        return url.path
    }

    func message(_ loader: ConfigurationLoader) -> String? {
        do {
            _ = try loader.load()
            return nil
        } catch {
            return error.description
        }
    }

    @Test func defaultsRunWithNothingSet() throws {
        let configuration = try ConfigurationLoader(environment: [:]).load()
        #expect(configuration.dataDirectory == "./data")
        #expect(configuration.httpHost == "127.0.0.1")
        #expect(configuration.httpPort == 8080)
        #expect(configuration.sqlitePath.hasSuffix("data/appliance.sqlite"))
        #expect(configuration.sqliteOptions.synchronous == .full)
    }

    @Test func layersOverrideInOrder() throws {
        let path = try file("""
            data_dir: /from/file
            http:
              port: 9001
              host: 0.0.0.0
            log:
              format: json
            """)
        let environment = ["SCAICORE_HTTP_PORT": "9002", "SCAICORE_LOG_LEVEL": "debug"]
        let fileOnly = try ConfigurationLoader(filePath: path, environment: [:]).load()
        #expect(fileOnly.httpPort == 9001 && fileOnly.dataDirectory == "/from/file" && fileOnly.logFormat == .json)
        let withEnvironment = try ConfigurationLoader(filePath: path, environment: environment).load()
        #expect(withEnvironment.httpPort == 9002 && withEnvironment.httpHost == "0.0.0.0" && withEnvironment.logLevel == .debug)
        let withFlags = try ConfigurationLoader(filePath: path, environment: environment, flags: [(.httpPort, "--port", "9003")]).load()
        #expect(withFlags.httpPort == 9003)
    }

    @Test func theConfigFileCanComeFromTheEnvironment() throws {
        let path = try file("http: {port: 7070}")
        #expect(try ConfigurationLoader(environment: ["SCAICORE_CONFIG": path]).load().httpPort == 7070)
    }

    @Test func unknownKeysAreNamedWithTheirSource() throws {
        let path = try file("http:\n  prot: 80\n")
        let fromFile = message(ConfigurationLoader(filePath: path, environment: [:]))
        #expect(fromFile?.contains("'http.prot'") == true && fromFile?.contains(path) == true)
        let fromEnvironment = message(ConfigurationLoader(environment: ["SCAICORE_HTTP_PROT": "80"]))
        #expect(fromEnvironment?.contains("SCAICORE_HTTP_PROT") == true)
    }

    @Test(arguments: [
        ("SCAICORE_HTTP_PORT", "eighty", "http.port"),
        ("SCAICORE_HTTP_PORT", "70000", "http.port"),
        ("SCAICORE_STORAGE_SQLITE_SYNCHRONOUS", "sometimes", "storage.sqlite.synchronous"),
        ("SCAICORE_LOG_FORMAT", "xml", "log.format"),
        ("SCAICORE_HTTP_MAX_BODY_BYTES", "-1", "http.max_body_bytes"),
        ("SCAICORE_STORAGE_RELATIONAL", "oracle", "storage.relational"),
    ])
    func badValuesAreNamed(variable: String, value: String, key: String) {
        let text = message(ConfigurationLoader(environment: [variable: value]))
        #expect(text?.contains("'\(key)'") == true, "\(text ?? "no error")")
        #expect(text?.contains(value) == true)
    }

    @Test func badFilesAreReported() throws {
        #expect(message(ConfigurationLoader(filePath: directory.appendingPathComponent("missing.yaml").path, environment: [:]))?
            .contains("cannot read config file") == true)
        #expect(message(ConfigurationLoader(filePath: try file("- a\n- b\n"), environment: [:]))?.contains("mapping") == true)
        #expect(message(ConfigurationLoader(filePath: try file("http: [1, 2]"), environment: [:]))?.contains("'http'") == true)
        #expect(message(ConfigurationLoader(filePath: try file("http: {port: 1\n"), environment: [:]))?.contains("YAML") == true)
    }

    @Test func anEmptyFileMeansDefaults() throws {
        #expect(try ConfigurationLoader(filePath: try file(""), environment: [:]).load().httpPort == 8080)
    }

    @Test func everyKeyHasADistinctEnvironmentVariable() {
        let variables = ConfigKey.all.map(\.environmentVariable)
        #expect(Set(variables).count == variables.count)
        #expect(ConfigKey.httpMaxBodyBytes.environmentVariable == "SCAICORE_HTTP_MAX_BODY_BYTES")
    }

    @Test func everyDefaultIsValid() throws {
        for key in ConfigKey.all {
            let flags: [(key: ConfigKey, flag: String, value: String)] = [(key, "test", key.defaultValue)]
            _ = try ConfigurationLoader(environment: [:], flags: flags).load()
        }
    }
}
