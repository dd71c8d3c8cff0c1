import CoreEngine

/// A source of model answers.
public protocol ModelProvider: Sendable {
    /// The provider's name as models name it (`builtin` in `builtin:echo`).
    var name: String { get }
    /// Answers the reply text for `model` (the part after `provider:`).
    func complete(model: String, params: JSONValue, prompt: String, system: String?) async throws -> String
}

/// Routes a model alias to the provider its model names (`provider:model`), docs/runtime.md
/// "Models and plugins". Models of a provider this appliance does not have go to the built-in
/// deterministic provider (echo) while `inference.unrouted` is `builtin`, and fail the run with
/// `model_unavailable` when it is `fail`.
public struct InferenceRouter: Sendable {
    /// What to do with a model whose provider is not configured.
    public enum Unrouted: String, Sendable { case builtin, fail }

    let providers: [String: any ModelProvider]
    let unrouted: Unrouted
    private let fallback = BuiltinModelProvider()

    public init(providers: [any ModelProvider] = [BuiltinModelProvider()], unrouted: Unrouted) {
        self.providers = Dictionary(providers.map { ($0.name, $0) }, uniquingKeysWith: { first, _ in first })
        self.unrouted = unrouted
    }

    /// The reply to `prompt` from the model behind `declared`, and the provider that gave it.
    public func complete(alias: String, declared: ModelAlias, prompt: String, system: String?) async throws -> (text: String, provider: String) {
        let (providerName, model) = Self.split(declared.model)
        if let provider = providers[providerName] {
            return (try await provider.complete(model: model, params: declared.params, prompt: prompt, system: system), provider.name)
        }
        guard unrouted == .builtin else {
            throw RunError(
                code: "model_unavailable",
                message: "model '\(declared.model)' of alias '\(alias)' needs provider '\(providerName)', which this appliance does not have (inference.unrouted = fail)",
                step: nil)
        }
        return (try await fallback.complete(model: "echo", params: declared.params, prompt: prompt, system: system), fallback.name)
    }

    static func split(_ model: String) -> (provider: String, model: String) {
        guard let colon = model.firstIndex(of: ":") else { return ("", model) }
        return (String(model[..<colon]), String(model[model.index(after: colon)...]))
    }
}
