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
    public var lmdbMapSize: Int
    public var kvPurgeInterval: Duration
    public var s3Listen: S3Listen
    public var s3Port: Int
    public var s3Region: String
    public var s3RootDomain: String
    public var s3MaxObjectBytes: Int64
    public var logLevel: Logger.Level
    public var logFormat: LogFormat

    public enum LogFormat: String, Sendable { case text, json }

    /// Where the S3-compatible listener listens.
    public enum S3Listen: String, Sendable {
        case off, loopback, all

        /// The address to bind, nil when off.
        public var host: String? {
            switch self {
            case .off: nil
            case .loopback: "127.0.0.1"
            case .all: "0.0.0.0"
            }
        }
    }

    /// `<data_dir>/lmdb`: the LMDB environment.
    public var lmdbDirectory: String { URL(fileURLWithPath: dataDirectory).appendingPathComponent("lmdb").path }
    /// `<data_dir>/objects`: object files (staging and blobs).
    public var objectDirectory: String { URL(fileURLWithPath: dataDirectory).appendingPathComponent("objects").path }
    /// `<data_dir>/keys`: the master key that seals S3 secrets.
    public var keyDirectory: String { URL(fileURLWithPath: dataDirectory).appendingPathComponent("keys").path }

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
        lmdbMapSize = integer(.lmdbMapSize)
        kvPurgeInterval = .seconds(integer(.kvPurgeInterval))
        s3Listen = S3Listen(rawValue: value(.s3Listen)) ?? .loopback
        s3Port = integer(.s3Port)
        s3Region = value(.s3Region)
        guard !s3Region.isEmpty else { throw ConfigurationError("configuration key 's3.region' must not be empty") }
        s3RootDomain = value(.s3RootDomain).lowercased()
        s3MaxObjectBytes = Int64(integer(.s3MaxObjectBytes))
        logLevel = Logger.Level(rawValue: value(.logLevel)) ?? .info
        logFormat = LogFormat(rawValue: value(.logFormat)) ?? .text
    }

    /// The built-in defaults, for tests and tools.
    public static func defaults() -> ApplianceConfiguration {
        // Defaults are valid by construction; a failure here is a bug in ConfigKey.all.
        do { return try ApplianceConfiguration(values: [:]) } catch { fatalError("invalid built-in defaults: \(error)") }
    }
}
