import Foundation

/// One configuration key: its dotted name, the type of its values, its default and what it does.
/// ``ConfigKey/all`` is the single list: the loader, the error messages and docs/configuration.md
/// (checked by a test) all follow it.
public struct ConfigKey: Sendable, Hashable {
    public enum ValueType: Sendable, Hashable {
        case string
        case integer(ClosedRange<Int>)
        case choice([String])
        case boolean
    }

    public let name: String
    public let type: ValueType
    public let defaultValue: String
    public let summary: String

    /// The environment variable that sets this key: `SCAICORE_` + the name upper-cased, dots as underscores.
    public var environmentVariable: String {
        "SCAICORE_" + name.uppercased().replacingOccurrences(of: ".", with: "_")
    }

    /// Checks `raw` against the type; answers the normalised text or a description of what is expected.
    func validate(_ raw: String) -> Result<String, ExpectedValue> {
        let text = raw.trimmingCharacters(in: .whitespaces)
        switch type {
        case .string:
            return .success(text)
        case .integer(let range):
            guard let number = Int(text), range.contains(number) else {
                return .failure(ExpectedValue("an integer from \(range.lowerBound) to \(range.upperBound)"))
            }
            return .success(String(number))
        case .choice(let values):
            let lowered = text.lowercased()
            guard values.contains(lowered) else { return .failure(ExpectedValue("one of \(values.joined(separator: ", "))")) }
            return .success(lowered)
        case .boolean:
            switch text.lowercased() {
            case "true", "yes", "on", "1": return .success("true")
            case "false", "no", "off", "0": return .success("false")
            default: return .failure(ExpectedValue("true or false"))
            }
        }
    }
}

struct ExpectedValue: Error {
    let text: String
    init(_ text: String) { self.text = text }
}

extension ConfigKey {
    public static let dataDir = ConfigKey(
        name: "data_dir", type: .string, defaultValue: "./data",
        summary: "Directory that holds every file the appliance writes (SQLite database, later LMDB and objects). Created on first start.")
    public static let httpHost = ConfigKey(
        name: "http.host", type: .string, defaultValue: "127.0.0.1",
        summary: "Address the REST API listens on. `0.0.0.0` listens on every interface.")
    public static let httpPort = ConfigKey(
        name: "http.port", type: .integer(0...65535), defaultValue: "8080",
        summary: "Port of the REST API. `0` picks a free port (the startup line names it).")
    public static let httpMaxBodyBytes = ConfigKey(
        name: "http.max_body_bytes", type: .integer(1024...1_073_741_824), defaultValue: "2097152",
        summary: "Largest request body accepted; larger bodies are refused with 413.")
    public static let httpHeaderTimeout = ConfigKey(
        name: "http.header_timeout_seconds", type: .integer(1...3600), defaultValue: "10",
        summary: "REST listener: seconds a client has to send a request's head, from the connection's opening or the request's first byte. The connection is closed after it.")
    public static let httpIdleTimeout = ConfigKey(
        name: "http.idle_timeout_seconds", type: .integer(1...86_400), defaultValue: "60",
        summary: "REST listener: seconds a kept-alive connection may stay open with no request in flight.")
    public static let httpMinBodyRate = ConfigKey(
        name: "http.min_body_bytes_per_second", type: .integer(0...1_073_741_824), defaultValue: "1024",
        summary: "REST listener: least bytes per second a request body must arrive at, over each `http.body_rate_window_seconds` (time the server spends not reading does not count). `0` turns the check off. There is no limit on a request's total time.")
    public static let httpBodyRateWindow = ConfigKey(
        name: "http.body_rate_window_seconds", type: .integer(1...3600), defaultValue: "30",
        summary: "REST listener: the window `http.min_body_bytes_per_second` is measured over.")
    public static let storageRelational = ConfigKey(
        name: "storage.relational", type: .choice(["sqlite"]), defaultValue: "sqlite",
        summary: "Relational driver for the `mod_scaicore_*` tables. `sqlite` is the embedded default.")
    public static let sqlitePath = ConfigKey(
        name: "storage.sqlite.path", type: .string, defaultValue: "",
        summary: "SQLite database file. Empty means `<data_dir>/appliance.sqlite`.")
    public static let sqliteSynchronous = ConfigKey(
        name: "storage.sqlite.synchronous", type: .choice(["full", "normal"]), defaultValue: "full",
        summary: "`full`: every acknowledged write is fsynced (survives power loss). `normal`: survives a process crash, may lose the last writes on power loss.")
    public static let sqliteBusyTimeout = ConfigKey(
        name: "storage.sqlite.busy_timeout_ms", type: .integer(0...600_000), defaultValue: "5000",
        summary: "How long a connection waits for a lock held by another process (for example an `admin` command) before failing.")
    public static let sqliteReaders = ConfigKey(
        name: "storage.sqlite.readers", type: .integer(1...64), defaultValue: "4",
        summary: "Read connections kept open for queries, which run beside the single writer; the pool grows when more requests read at once.")
    public static let lmdbMapSize = ConfigKey(
        name: "storage.lmdb.map_size_bytes", type: .integer(1_048_576...1_099_511_627_776), defaultValue: "1073741824",
        summary: "Initial size of the LMDB memory map in `<data_dir>/lmdb` (Core memory, grain directory, object index). The map doubles by itself when it fills; this only sets where it starts. The file grows with the data, not with this number.")
    public static let kvPurgeInterval = ConfigKey(
        name: "storage.kv.purge_interval_seconds", type: .integer(1...86_400), defaultValue: "60",
        summary: "How often expired Core-memory keys are purged from disk. Expired keys are invisible at once; this only reclaims their space.")
    public static let s3Listen = ConfigKey(
        name: "s3.listen", type: .choice(["off", "loopback", "all"]), defaultValue: "loopback",
        summary: "The S3-compatible listener over the object store: `off`, `loopback` (127.0.0.1 only) or `all` (every interface).")
    public static let s3Port = ConfigKey(
        name: "s3.port", type: .integer(0...65535), defaultValue: "3900",
        summary: "Port of the S3-compatible listener (3900, as Garage). `0` picks a free port.")
    public static let s3Region = ConfigKey(
        name: "s3.region", type: .string, defaultValue: "garage",
        summary: "Region the S3 listener answers to; clients must sign for it (as Garage, `garage` by default).")
    public static let s3RootDomain = ConfigKey(
        name: "s3.root_domain", type: .string, defaultValue: "localhost",
        summary: "Virtual-hosted-style requests: a Host of `BUCKET.<root_domain>` addresses BUCKET. Any other Host is path style.")
    public static let s3MaxObjectBytes = ConfigKey(
        name: "s3.max_object_bytes", type: .integer(1...5_497_558_138_880), defaultValue: "5368709120",
        summary: "Largest single PUT or part (S3's 5 GiB by default); larger bodies are refused with EntityTooLarge.")
    public static let s3HeaderTimeout = ConfigKey(
        name: "s3.header_timeout_seconds", type: .integer(1...3600), defaultValue: "10",
        summary: "S3 listener: seconds a client has to send a request's head, from the connection's opening or the request's first byte. The connection is closed after it.")
    public static let s3IdleTimeout = ConfigKey(
        name: "s3.idle_timeout_seconds", type: .integer(1...86_400), defaultValue: "60",
        summary: "S3 listener: seconds a kept-alive connection may stay open with no request in flight.")
    public static let s3MinBodyRate = ConfigKey(
        name: "s3.min_body_bytes_per_second", type: .integer(0...1_073_741_824), defaultValue: "1024",
        summary: "S3 listener: least bytes per second a request body must arrive at, over each `s3.body_rate_window_seconds` (time the server spends not reading does not count). `0` turns the check off. There is no limit on a request's total time.")
    public static let s3BodyRateWindow = ConfigKey(
        name: "s3.body_rate_window_seconds", type: .integer(1...3600), defaultValue: "30",
        summary: "S3 listener: the window `s3.min_body_bytes_per_second` is measured over.")
    public static let coresMaxIRBytes = ConfigKey(
        name: "cores.max_ir_bytes", type: .integer(1...268_435_456), defaultValue: "1048576",
        summary: "Largest IR bundle a Core may hold, in bytes of JSON. Larger IR is refused with 413.")
    public static let runtimeWorkers = ConfigKey(
        name: "runtime.workers", type: .integer(1...1024), defaultValue: "16",
        summary: "Runs executing at once. Runs of one entity always run one at a time, whatever this says.")
    public static let runtimeMaxQueuedRuns = ConfigKey(
        name: "runtime.max_queued_runs", type: .integer(1...10_000_000), defaultValue: "10000",
        summary: "Runs that may wait to execute (including those of paused Cores). Beyond it, events and invocations are refused with 429 and `Retry-After`.")
    public static let runtimeStorageFullRetry = ConfigKey(
        name: "runtime.storage_full_retry_seconds", type: .integer(0...31_536_000), defaultValue: "3600",
        summary: "How long a run whose writes find the data directory full waits for space (retrying with backoff, at most 30 s apart) before it fails with `storage_full`.")
    public static let checkpointSweepInterval = ConfigKey(
        name: "checkpoints.sweep_interval_seconds", type: .integer(1...86_400), defaultValue: "300",
        summary: "How often overdue checkpoints are expired or escalated and reminders sent. Deadlines act up to this late.")
    public static let checkpointRemindBefore = ConfigKey(
        name: "checkpoints.remind_before_seconds", type: .integer(0...31_536_000), defaultValue: "3600",
        summary: "A reminder goes to the assignee once when less than this remains before a checkpoint's deadline. `0`: no reminders.")
    public static let notifySMTPHost = ConfigKey(
        name: "notify.smtp.host", type: .string, defaultValue: "",
        summary: "SMTP relay for checkpoint e-mail. Empty: no mail is sent; notifications are only stored (visible through `GET /notifications`).")
    public static let notifySMTPPort = ConfigKey(
        name: "notify.smtp.port", type: .integer(1...65535), defaultValue: "587",
        summary: "Port of the SMTP relay.")
    public static let notifySMTPSecurity = ConfigKey(
        name: "notify.smtp.security", type: .choice(["starttls", "tls", "none"]), defaultValue: "starttls",
        summary: "`starttls` (upgrade after connecting, port 587), `tls` (TLS from the start, port 465) or `none` (plain text; credentials are then only sent to a relay on loopback).")
    public static let notifySMTPUsername = ConfigKey(
        name: "notify.smtp.username", type: .string, defaultValue: "",
        summary: "User name for SMTP AUTH; empty sends no credentials.")
    public static let notifySMTPPassword = ConfigKey(
        name: "notify.smtp.password", type: .string, defaultValue: "",
        summary: "Password for SMTP AUTH. Prefer the environment variable to the config file; it is never logged.")
    public static let notifySMTPVerify = ConfigKey(
        name: "notify.smtp.verify_certificates", type: .boolean, defaultValue: "true",
        summary: "Check the relay's TLS certificate. `false` accepts self-signed relays.")
    public static let notifyFrom = ConfigKey(
        name: "notify.from", type: .string, defaultValue: "scaicore@localhost",
        summary: "Sender address of notification e-mail.")
    public static let notifyPublicBaseURL = ConfigKey(
        name: "notify.public_base_url", type: .string, defaultValue: "http://127.0.0.1:8080",
        summary: "Base URL of links in e-mail (how assignees reach this appliance). Links carry no token.")
    public static let pluginEndpoints = ConfigKey(
        name: "plugins.endpoints", type: .string, defaultValue: "",
        summary: "HTTP endpoints that serve plugins: `name=url,name=url` (for example `payments=http://127.0.0.1:9100/pay`). A plugin step POSTs its call there.")
    public static let inferenceUnrouted = ConfigKey(
        name: "inference.unrouted", type: .choice(["builtin", "fail"]), defaultValue: "builtin",
        summary: "Models whose provider this appliance does not have: `builtin` answers them with the deterministic built-in provider (echo), `fail` fails the run with `model_unavailable`.")
    public static let logLevel = ConfigKey(
        name: "log.level", type: .choice(["trace", "debug", "info", "notice", "warning", "error", "critical"]), defaultValue: "info",
        summary: "Least severe log level written.")
    public static let logFormat = ConfigKey(
        name: "log.format", type: .choice(["text", "json"]), defaultValue: "text",
        summary: "`text`: one readable line per event. `json`: one JSON object per line, for log shippers.")

    /// Every key the appliance understands.
    public static let all: [ConfigKey] = [
        dataDir, httpHost, httpPort, httpMaxBodyBytes, httpHeaderTimeout, httpIdleTimeout, httpMinBodyRate, httpBodyRateWindow,
        storageRelational, sqlitePath, sqliteSynchronous, sqliteBusyTimeout, sqliteReaders,
        lmdbMapSize, kvPurgeInterval, s3Listen, s3Port, s3Region, s3RootDomain, s3MaxObjectBytes,
        s3HeaderTimeout, s3IdleTimeout, s3MinBodyRate, s3BodyRateWindow, coresMaxIRBytes, runtimeWorkers, runtimeMaxQueuedRuns, runtimeStorageFullRetry, checkpointSweepInterval, checkpointRemindBefore,
        notifySMTPHost, notifySMTPPort, notifySMTPSecurity, notifySMTPUsername, notifySMTPPassword, notifySMTPVerify, notifyFrom,
        notifyPublicBaseURL, pluginEndpoints, inferenceUnrouted, logLevel, logFormat,
    ]
}
