import Appliance
import CoreEngine

/// The OpenAPI 3.1 document, built from ``APICatalog`` and the schemas below.
enum OpenAPIDocument {
    static let document: JSONValue = build()

    private static func build() -> JSONValue {
        var paths: [String: [String: JSONValue]] = [:]
        for operation in APICatalog.operations {
            paths[operation.path, default: [:]][operation.method.rawValue.lowercased()] = describe(operation)
        }
        return [
            "openapi": "3.1.0",
            "info": [
                "title": "ScaiCore Appliance API",
                "version": "1.0.0",
                "description": "REST API of the ScaiCore Appliance. Errors are {\"error\": {\"code\", \"message\", \"details\"}}. Every response carries x-request-id.",
            ],
            "servers": [["url": "/"]],
            "paths": .object(paths.mapValues { .object($0) }),
            "components": [
                "securitySchemes": ["bearer": ["type": "http", "scheme": "bearer"]],
                "schemas": .object(schemas),
            ],
        ]
    }

    private static func describe(_ operation: APIOperation) -> JSONValue {
        var result: [String: JSONValue] = [
            "operationId": .string(operation.operationID),
            "summary": .string(operation.summary),
            "tags": [.string(operation.tag)],
        ]
        var parameters: [JSONValue] = []
        if operation.path.contains("{id}") {
            parameters.append(["name": "id", "in": "path", "required": true, "schema": ["type": "string"]])
        }
        for name in operation.queryParameters {
            parameters.append(["name": .string(name), "in": "query", "required": false, "schema": querySchema(name)])
        }
        if operation.conditional {
            parameters.append(["name": "If-Match", "in": "header", "required": false, "schema": ["type": "string"],
                               "description": "ETag of the version the change is based on; 412 when stale"])
        }
        if !parameters.isEmpty { result["parameters"] = .array(parameters) }
        if let permission = operation.permission {
            result["security"] = [["bearer": []]]
            result["x-permission"] = .string(permission.rawValue)
        } else {
            result["security"] = []
        }
        if let schema = operation.requestSchema {
            result["requestBody"] = [
                "required": .bool(schema != "LifecycleRequest"),
                "content": schema == "AvatarImage" ? imageContent : ["application/json": ["schema": ref(schema)]],
            ]
        }
        var responses: [String: JSONValue] = [:]
        if let schema = operation.successSchema {
            if schema == "AvatarImage" {
                responses[String(operation.successStatus)] = ["description": "success", "content": imageContent]
            } else {
                let type = schema == "PrometheusText" ? "text/plain" : "application/json"
                responses[String(operation.successStatus)] = ["description": "success", "content": .object([type: ["schema": ref(schema)]])]
            }
        } else {
            responses[String(operation.successStatus)] = ["description": "success"]
        }
        for status in operation.errorStatuses {
            responses[String(status)] = status == 304
                ? ["description": "not modified: the ETag in If-None-Match is current"]
                : ["description": "error", "content": ["application/json": ["schema": ref("Error")]]]
        }
        result["responses"] = .object(responses)
        return .object(result)
    }

    /// The media types of an avatar image body.
    private static let imageContent: JSONValue = .object(Dictionary(uniqueKeysWithValues: InternalObjects.avatarTypes.sorted().map {
        ($0, ["schema": ["type": "string", "format": "binary"]] as JSONValue)
    }))

    private static func querySchema(_ name: String) -> JSONValue {
        switch name {
        case "limit": ["type": "integer", "minimum": 1, "maximum": 200, "default": 50]
        case "status": ["type": "string", "description": "comma-separated statuses"]
        default: ["type": "string"]
        }
    }

    private static func ref(_ name: String) -> JSONValue { ["$ref": .string("#/components/schemas/\(name)")] }

    private static let statusEnum: JSONValue = .array(CoreStatus.allCases.map { .string($0.rawValue) })
    private static let string: JSONValue = ["type": "string"]
    private static let nullableString: JSONValue = ["type": ["string", "null"]]

    private static let schemas: [String: JSONValue] = [
        "Error": [
            "type": "object", "required": ["error"],
            "properties": ["error": [
                "type": "object", "required": ["code", "message", "details"],
                "properties": ["code": string, "message": string, "details": ["type": "object"]],
            ]],
        ],
        "Status": ["type": "object", "properties": ["status": string]],
        "PrometheusText": ["type": "string"],
        "OpenAPI": ["type": "object"],
        "Core": [
            "type": "object",
            "required": ["id", "slug", "name", "status", "version", "created_at", "updated_at"],
            "properties": [
                "id": string, "slug": string, "name": string,
                "status": ["type": "string", "enum": statusEnum],
                "status_reason": nullableString,
                "legal_actions": ["type": "array", "items": string],
                "ir": ["type": "object", "description": "the IR bundle (omitted in lists)"],
                "ir_version": nullableString, "ir_revision": ["type": "integer"],
                "runtime_config": ["type": "object"],
                "identity_mode": ["type": "string", "enum": .array(IdentityMode.allCases.map { .string($0.rawValue) })],
                "plugins": ["type": "array", "items": string],
                "avatar_url": nullableString, "created_at": string, "updated_at": string,
                "version": ["type": "integer", "description": "optimistic-locking version, also served as the ETag"],
            ],
        ],
        "CoreList": [
            "type": "object", "required": ["items", "next_cursor"],
            "properties": ["items": ["type": "array", "items": ref("Core")], "next_cursor": nullableString],
        ],
        "CoreCreate": [
            "type": "object", "required": ["name", "ir"], "additionalProperties": false,
            "properties": [
                "name": ["type": "string", "maxLength": 200], "slug": ["type": "string", "pattern": .string(Slug.pattern)],
                "ir": ["type": "object"], "runtime_config": ["type": "object"],
                "identity_mode": ["type": "string", "enum": .array(IdentityMode.allCases.map { .string($0.rawValue) })],
                "plugins": ["type": "array", "items": string],
            ],
        ],
        "CorePatch": [
            "type": "object", "additionalProperties": false,
            "properties": [
                "name": ["type": "string", "maxLength": 200], "slug": ["type": "string", "pattern": .string(Slug.pattern)],
                "ir": ["type": "object"], "runtime_config": ["type": "object"],
                "identity_mode": ["type": "string", "enum": .array(IdentityMode.allCases.map { .string($0.rawValue) })],
                "plugins": ["type": "array", "items": string],
                "version": ["type": "integer", "description": "the version the change is based on; 409 when stale"],
            ],
        ],
        "AuditEntry": [
            "type": "object",
            "properties": [
                "id": string, "actor": string, "action": string, "target_type": string, "target_id": string,
                "details": ["type": "object"], "request_id": nullableString, "created_at": string,
            ],
        ],
        "AuditList": [
            "type": "object", "required": ["items", "next_cursor"],
            "properties": ["items": ["type": "array", "items": ref("AuditEntry")], "next_cursor": nullableString],
        ],
        "LifecycleRequest": [
            "type": "object", "additionalProperties": false,
            "properties": ["reason": ["type": "string", "maxLength": 1000]],
        ],
    ]
}
