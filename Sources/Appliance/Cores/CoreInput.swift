import CoreEngine

/// What a client sends to create a Core.
public struct CoreDraft: Sendable {
    public var name: String
    public var slug: String?
    public var ir: JSONValue
    public var runtimeConfig: JSONValue
    public var identityMode: IdentityMode
    public var plugins: [String]

    public init(name: String, slug: String? = nil, ir: JSONValue, runtimeConfig: JSONValue = .object([:]),
                identityMode: IdentityMode = .service, plugins: [String] = []) {
        self.name = name
        self.slug = slug
        self.ir = ir
        self.runtimeConfig = runtimeConfig
        self.identityMode = identityMode
        self.plugins = plugins
    }

    /// Reads a create request body. Throws 400 naming every bad or unknown field.
    public init(json: JSONValue) throws(ApplianceError) {
        var reader = FieldReader(json)
        let name = reader.string("name", required: true, maxLength: 200)
        let slug = reader.string("slug", maxLength: 63)
        let ir = reader.object("ir", required: true)
        let runtimeConfig = reader.object("runtime_config")
        let identityMode = CoreInputRules.identityMode(&reader)
        let plugins = reader.stringArray("plugins")
        CoreInputRules.check(slug: slug, plugins: plugins, environmentIn: &reader)
        try reader.finish()
        guard let name, let ir else { throw ApplianceError.invalidRequest(reader.problems) }
        self.init(name: name, slug: slug, ir: ir, runtimeConfig: runtimeConfig ?? .object([:]),
                  identityMode: identityMode ?? .service, plugins: plugins ?? [])
    }
}

/// What a client sends to change a Core: only the fields present change.
public struct CorePatch: Sendable {
    public var name: String?
    public var slug: String?
    public var ir: JSONValue?
    public var runtimeConfig: JSONValue?
    public var identityMode: IdentityMode?
    public var plugins: [String]?
    /// The `version` the client last saw, when it sent one (409 on mismatch).
    public var expectedVersion: Int64?

    public init(name: String? = nil, slug: String? = nil, ir: JSONValue? = nil, runtimeConfig: JSONValue? = nil,
                identityMode: IdentityMode? = nil, plugins: [String]? = nil, expectedVersion: Int64? = nil) {
        self.name = name
        self.slug = slug
        self.ir = ir
        self.runtimeConfig = runtimeConfig
        self.identityMode = identityMode
        self.plugins = plugins
        self.expectedVersion = expectedVersion
    }

    /// Reads a PATCH body. Throws 400 naming every bad or unknown field.
    public init(json: JSONValue) throws(ApplianceError) {
        var reader = FieldReader(json)
        name = reader.string("name", maxLength: 200)
        slug = reader.string("slug", maxLength: 63)
        ir = reader.object("ir")
        runtimeConfig = reader.object("runtime_config")
        identityMode = CoreInputRules.identityMode(&reader)
        plugins = reader.stringArray("plugins")
        expectedVersion = reader.integer("version")
        CoreInputRules.check(slug: slug, plugins: plugins, environmentIn: &reader)
        try reader.finish()
    }

    public var isEmpty: Bool {
        name == nil && slug == nil && ir == nil && runtimeConfig == nil && identityMode == nil && plugins == nil
    }
}

/// Field rules shared by create and change.
enum CoreInputRules {
    static func identityMode(_ reader: inout FieldReader) -> IdentityMode? {
        guard let text = reader.string("identity_mode") else { return nil }
        guard let mode = IdentityMode(rawValue: text) else {
            reader.problem("identity_mode", "must be one of \(IdentityMode.allCases.map(\.rawValue).joined(separator: ", "))")
            return nil
        }
        return mode
    }

    static func check(slug: String?, plugins: [String]?, environmentIn reader: inout FieldReader) {
        if let slug, !Slug.isValid(slug) { reader.problem("slug", "must match \(Slug.pattern)") }
        for (index, plugin) in (plugins ?? []).enumerated() where !Slug.isValid(plugin) {
            reader.problem("plugins[\(index)]", "plugin names must match \(Slug.pattern)")
        }
        if reader.has("environment") {
            _ = reader.value("environment")
            reader.problem("environment", "environment values need the secrets vault, which this version does not have yet; they are never stored in plain text")
        }
    }
}
