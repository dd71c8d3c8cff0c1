import Foundation
import Logging
import Storage

/// The resolved, validated configuration of one appliance process.
public struct ApplianceConfiguration: Sendable {
    public var dataDirectory: String
    public var httpHost: String
    public var httpPort: Int
    public var maxBodyBytes: Int
    /// The REST listener's connection limits (`http.*_timeout_seconds`, `http.min_body_bytes_per_second`).
    public var httpLimits: ListenerLimits
    /// The S3 listener's connection limits (`s3.*`).
    public var s3Limits: ListenerLimits
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
    public var runtimeWorkers: Int
    public var runtimeMaxQueuedRuns: Int
    /// `runtime.storage_full_retry_seconds`.
    public var runtimeStorageFullRetrySeconds: Int
    public var checkpointSweepInterval: Duration
    /// Nil: no reminders.
    public var checkpointRemindBefore: Duration?
    public var smtp: SMTPSettings?
    public var notifyFrom: String
    public var notifyPublicBaseURL: String
    /// Plugin name → endpoint URL.
    public var pluginEndpoints: [String: String]
    public var inferenceUnrouted: InferenceRouter.Unrouted
    public var logLevel: Logger.Level
    public var logFormat: LogFormat

    /// The SMTP relay of the notifier (`notify.smtp.*`); nil when none is configured.
    public struct SMTPSettings: Sendable {
        public var host: String
        public var port: Int
        public var security: String
        public var username: String?
        public var password: String?
        public var verifyCertificates: Bool
    }

    var notificationSettings: NotificationSettings {
        NotificationSettings(relayConfigured: smtp != nil, publicBaseURL: notifyPublicBaseURL)
    }

    public enum LogFormat: String, Sendable { case text, json }

    /// How long a listener waits for a client and how slow a body may arrive (docs/configuration.md).
    public struct ListenerLimits: Sendable, Equatable {
        public var headerTimeoutSeconds: Int
        public var idleTimeoutSeconds: Int
        public var minBodyBytesPerSecond: Int
        public var bodyRateWindowSeconds: Int
    }

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
        httpLimits = ListenerLimits(
            headerTimeoutSeconds: integer(.httpHeaderTimeout), idleTimeoutSeconds: integer(.httpIdleTimeout),
            minBodyBytesPerSecond: integer(.httpMinBodyRate), bodyRateWindowSeconds: integer(.httpBodyRateWindow))
        s3Limits = ListenerLimits(
            headerTimeoutSeconds: integer(.s3HeaderTimeout), idleTimeoutSeconds: integer(.s3IdleTimeout),
            minBodyBytesPerSecond: integer(.s3MinBodyRate), bodyRateWindowSeconds: integer(.s3BodyRateWindow))
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
        runtimeWorkers = integer(.runtimeWorkers)
        runtimeMaxQueuedRuns = integer(.runtimeMaxQueuedRuns)
        runtimeStorageFullRetrySeconds = integer(.runtimeStorageFullRetry)
        checkpointSweepInterval = .seconds(integer(.checkpointSweepInterval))
        let remind = integer(.checkpointRemindBefore)
        checkpointRemindBefore = remind > 0 ? .seconds(remind) : nil
        let smtpHost = value(.notifySMTPHost)
        smtp = smtpHost.isEmpty ? nil : SMTPSettings(
            host: smtpHost, port: integer(.notifySMTPPort), security: value(.notifySMTPSecurity),
            username: value(.notifySMTPUsername).isEmpty ? nil : value(.notifySMTPUsername),
            password: value(.notifySMTPPassword).isEmpty ? nil : value(.notifySMTPPassword),
            verifyCertificates: value(.notifySMTPVerify) == "true")
        notifyFrom = value(.notifyFrom)
        guard notifyFrom.contains("@"), !notifyFrom.contains(where: { $0 == "\r" || $0 == "\n" || $0 == "<" || $0 == ">" }) else {
            throw ConfigurationError("configuration key 'notify.from' must be an e-mail address such as scaicore@example.com")
        }
        notifyPublicBaseURL = value(.notifyPublicBaseURL)
        guard notifyPublicBaseURL.hasPrefix("http://") || notifyPublicBaseURL.hasPrefix("https://") else {
            throw ConfigurationError("configuration key 'notify.public_base_url' must start with http:// or https://")
        }
        pluginEndpoints = try Self.parseEndpoints(value(.pluginEndpoints))
        inferenceUnrouted = InferenceRouter.Unrouted(rawValue: value(.inferenceUnrouted)) ?? .builtin
        logLevel = Logger.Level(rawValue: value(.logLevel)) ?? .info
        logFormat = LogFormat(rawValue: value(.logFormat)) ?? .text
    }

    /// Reads `plugins.endpoints`: `name=url` pairs separated by commas.
    static func parseEndpoints(_ text: String) throws(ConfigurationError) -> [String: String] {
        var endpoints: [String: String] = [:]
        for pair in text.split(separator: ",") {
            let parts = pair.split(separator: "=", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
            guard parts.count == 2, !parts[0].isEmpty, parts[1].hasPrefix("http://") || parts[1].hasPrefix("https://") else {
                throw ConfigurationError("configuration key 'plugins.endpoints' must be name=http://… pairs separated by commas; '\(pair)' is not")
            }
            endpoints[parts[0]] = parts[1]
        }
        return endpoints
    }

    /// The built-in defaults, for tests and tools.
    public static func defaults() -> ApplianceConfiguration {
        // Defaults are valid by construction; a failure here is a bug in ConfigKey.all.
        do { return try ApplianceConfiguration(values: [:]) } catch { fatalError("invalid built-in defaults: \(error)") }
    }
}
