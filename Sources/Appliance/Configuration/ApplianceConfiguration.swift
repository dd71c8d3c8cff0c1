import Foundation
import Logging
import Storage

/// The resolved, validated configuration of one appliance process.
public struct ApplianceConfiguration: Sendable {
    public var dataDirectory: String
    public var httpHost: String
    public var httpPort: Int
    public var maxBodyBytes: Int
    public var sqlitePath: String
    public var sqliteOptions: SQLiteOptions
    public var maxIRBytes: Int
    public var logLevel: Logger.Level
    public var logFormat: LogFormat

    public enum LogFormat: String, Sendable { case text, json }

    /// Builds the configuration from validated key values (see ``ConfigurationLoader``).
    init(values: [String: String]) throws(ConfigurationError) {
        func value(_ key: ConfigKey) -> String { values[key.name] ?? key.defaultValue }
        func integer(_ key: ConfigKey) -> Int { Int(value(key)) ?? Int(key.defaultValue) ?? 0 }

        let dataDirectory = value(.dataDir)
        guard !dataDirectory.isEmpty else { throw ConfigurationError("configuration key 'data_dir' must not be empty") }
        self.dataDirectory = dataDirectory
        httpHost = value(.httpHost)
        guard !httpHost.isEmpty else { throw ConfigurationError("configuration key 'http.host' must not be empty") }
        httpPort = integer(.httpPort)
        maxBodyBytes = integer(.httpMaxBodyBytes)
        let path = value(.sqlitePath)
        sqlitePath = path.isEmpty ? URL(fileURLWithPath: dataDirectory).appendingPathComponent("appliance.sqlite").path : path
        sqliteOptions = SQLiteOptions(
            busyTimeoutMilliseconds: integer(.sqliteBusyTimeout),
            synchronous: value(.sqliteSynchronous) == "normal" ? .normal : .full,
            readerCount: integer(.sqliteReaders))
        maxIRBytes = integer(.coresMaxIRBytes)
        logLevel = Logger.Level(rawValue: value(.logLevel)) ?? .info
        logFormat = LogFormat(rawValue: value(.logFormat)) ?? .text
    }

    /// The built-in defaults, for tests and tools.
    public static func defaults() -> ApplianceConfiguration {
        // Defaults are valid by construction; a failure here is a bug in ConfigKey.all.
        do { return try ApplianceConfiguration(values: [:]) } catch { fatalError("invalid built-in defaults: \(error)") }
    }
}
