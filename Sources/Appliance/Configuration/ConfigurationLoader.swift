import Foundation
import Yams

/// Where a configuration value came from, named in error messages.
public enum ConfigSource: Sendable, Equatable, CustomStringConvertible {
    case defaults, file(String), environment(String), flag(String)

    public var description: String {
        switch self {
        case .defaults: "built-in defaults"
        case .file(let path): "config file \(path)"
        case .environment(let variable): "environment variable \(variable)"
        case .flag(let flag): "flag \(flag)"
        }
    }
}

/// A configuration problem, naming the key and where the bad value came from.
public struct ConfigurationError: Error, Sendable, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}

/// Resolves configuration in layers: built-in defaults, then a YAML file, then `SCAICORE_*`
/// environment variables, then command-line flags. Unknown keys and bad values are errors that
/// name the key and its source.
public struct ConfigurationLoader: Sendable {
    /// The environment variable that names a config file when `--config` is not given.
    public static let configFileVariable = "SCAICORE_CONFIG"

    public var filePath: String?
    public var environment: [String: String]
    public var flags: [(key: ConfigKey, flag: String, value: String)]

    public init(filePath: String? = nil, environment: [String: String] = ProcessInfo.processInfo.environment,
                flags: [(key: ConfigKey, flag: String, value: String)] = []) {
        self.filePath = filePath
        self.environment = environment
        self.flags = flags
    }

    public func load() throws(ConfigurationError) -> ApplianceConfiguration {
        var values: [String: String] = [:]
        for key in ConfigKey.all { values[key.name] = key.defaultValue }

        if let path = filePath ?? environment[Self.configFileVariable], !path.isEmpty {
            for (name, raw) in try Self.readFile(path) {
                try Self.assign(name: name, raw: raw, source: .file(path), into: &values)
            }
        }
        let byVariable = Dictionary(uniqueKeysWithValues: ConfigKey.all.map { ($0.environmentVariable, $0) })
        for (variable, raw) in environment.sorted(by: { $0.key < $1.key }) where variable.hasPrefix("SCAICORE_") {
            if variable == Self.configFileVariable { continue }
            guard let key = byVariable[variable] else {
                throw ConfigurationError("unknown configuration key in environment variable \(variable) (see docs/configuration.md)")
            }
            try Self.assign(name: key.name, raw: raw, source: .environment(variable), into: &values)
        }
        for (key, flag, raw) in flags {
            try Self.assign(name: key.name, raw: raw, source: .flag(flag), into: &values)
        }
        return try ApplianceConfiguration(values: values)
    }

    private static func assign(name: String, raw: String, source: ConfigSource, into values: inout [String: String]) throws(ConfigurationError) {
        guard let key = ConfigKey.all.first(where: { $0.name == name }) else {
            throw ConfigurationError("unknown configuration key '\(name)' in \(source) (see docs/configuration.md)")
        }
        switch key.validate(raw) {
        case .success(let value): values[name] = value
        case .failure(let expected):
            throw ConfigurationError("bad value '\(raw)' for configuration key '\(name)' in \(source): expected \(expected.text)")
        }
    }

    /// Reads a YAML mapping and flattens nested mappings into dotted keys.
    static func readFile(_ path: String) throws(ConfigurationError) -> [(String, String)] {
        let text: String
        do { text = try String(contentsOfFile: path, encoding: .utf8) } catch {
            throw ConfigurationError("cannot read config file \(path): \(error.localizedDescription)")
        }
        let node: Node?
        do { node = try Yams.compose(yaml: text) } catch {
            throw ConfigurationError("config file \(path) is not valid YAML: \(error)")
        }
        guard let node else { return [] }
        guard case .mapping = node else { throw ConfigurationError("config file \(path) must hold a YAML mapping of keys to values") }
        var result: [(String, String)] = []
        try flatten(node, prefix: "", path: path, into: &result)
        return result
    }

    private static func flatten(_ node: Node, prefix: String, path: String, into result: inout [(String, String)]) throws(ConfigurationError) {
        switch node {
        case .mapping(let mapping):
            for (keyNode, valueNode) in mapping {
                guard let key = keyNode.string else { throw ConfigurationError("config file \(path) has a non-text key under '\(prefix)'") }
                try flatten(valueNode, prefix: prefix.isEmpty ? key : "\(prefix).\(key)", path: path, into: &result)
            }
        case .scalar(let scalar):
            result.append((prefix, scalar.string))
        case .sequence, .alias:
            throw ConfigurationError("config file \(path): key '\(prefix)' must be a single value")
        }
    }
}
