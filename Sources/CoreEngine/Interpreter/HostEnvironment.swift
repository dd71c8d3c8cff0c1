import Foundation

/// Everything the engine may ask of the world. The engine has no I/O of its own: the appliance
/// implements this protocol over its stores and services, tests over in-memory maps.
///
/// Contract: every call may throw; a thrown ``RunError`` fails the run with its own code (the
/// engine adds the step's path), any other error with code `host_error` and the error's
/// description (retries, if any, are the host's business, inside the call). Effectful calls are
/// made at most once per journal key: the engine consults ``journal`` first and records the
/// result after the call returns.
///
/// Two things the host provides outside this protocol: environment (secret) values arrive
/// decrypted in ``Engine/RunContext/env`` and are visible to the program as `env`; entity
/// placement and per-entity ordering belong to the host's dispatcher, which asks
/// ``Engine/entityKey(flow:input:)`` before it invokes an entity-keyed flow.
public protocol HostEnvironment: Sendable {
    /// The run's journal of effect results, by deterministic step key.
    var journal: any Journal { get }
    /// Calls the model behind `alias` (as declared in the bundle); answers the reply text.
    func model(alias: String, declared: ModelAlias, prompt: String, system: String?) async throws -> String
    /// Runs a plugin action; answers its JSON result.
    func plugin(_ plugin: String, action: String, args: JSONValue) async throws -> JSONValue
    /// Reads the Core's memory (scoped by the host to tenant, Core and entity); nil when absent or expired.
    func memoryGet(_ key: String) async throws -> JSONValue?
    /// Writes memory; `ttlSeconds` nil keeps the value until deleted.
    func memoryPut(_ key: String, value: JSONValue, ttlSeconds: Int?) async throws
    func memoryDelete(_ key: String) async throws
    /// Emits an event to the Core's tenant.
    func emit(event: String, data: JSONValue) async throws
    /// Writes a log line of the run (not journaled: may repeat when a run is recovered).
    func log(level: LogLevel, message: String, step: String) async
    /// The current time (the host's clock; deterministic in tests).
    func now() -> Date
}

/// Recorded results of effects, by step key. Implementations must make `record` durable before
/// returning: a result that was recorded is never produced again.
public protocol Journal: Sendable {
    func lookup(_ key: String) async throws -> JSONValue?
    func record(_ key: String, _ result: JSONValue) async throws
}
