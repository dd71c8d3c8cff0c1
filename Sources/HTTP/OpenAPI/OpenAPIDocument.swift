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
        case "wait": ["type": "integer", "minimum": 0, "maximum": 60, "description": "seconds to wait for the run to finish or suspend"]
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
        "EventPost": [
            "type": "object", "required": ["event_name"], "additionalProperties": false,
            "properties": ["event_name": ["type": "string", "pattern": "^[A-Za-z0-9._:-]{1,200}$"], "data": [:]],
        ],
        "EventAccepted": [
            "type": "object", "required": ["event_id", "run_id", "run_ids", "status"],
            "properties": ["event_id": string, "run_id": nullableString, "run_ids": ["type": "array", "items": string], "status": string],
        ],
        "Event": [
            "type": "object",
            "properties": [
                "id": string, "core_id": string, "event_name": string, "data": [:], "source": string, "source_run_id": nullableString,
                "status": string, "run_ids": ["type": "array", "items": string], "created_at": string,
            ],
        ],
        "EventList": [
            "type": "object", "required": ["items", "next_cursor"],
            "properties": ["items": ["type": "array", "items": ref("Event")], "next_cursor": nullableString],
        ],
        "EventStream": ["type": "string", "description": "text/event-stream: `event: accepted|emitted` messages with a JSON `data:` line"],
        "Invocation": [
            "type": "object", "required": ["flow"], "additionalProperties": false,
            "properties": ["flow": string, "input": [:], "wait": ["type": "number", "minimum": 0, "maximum": 60]],
        ],
        "Run": [
            "type": "object",
            "properties": [
                "id": string, "core_id": string, "flow": string,
                "status": ["type": "string", "enum": .array(RunStatus.allCases.map { .string($0.rawValue) })],
                "trigger": ["type": "object"], "input": [:], "output": [:], "error": ["type": ["object", "null"]],
                "entity": ["type": ["object", "null"]], "event_id": nullableString, "started_by": nullableString,
                "checkpoint_id": nullableString, "wake_at": nullableString, "created_at": string, "updated_at": string,
                "finished_at": nullableString, "journal": ["type": "array", "items": ["type": "object"]],
            ],
        ],
        "RunList": [
            "type": "object", "required": ["items", "next_cursor"],
            "properties": ["items": ["type": "array", "items": ref("Run")], "next_cursor": nullableString],
        ],
        "Checkpoint": [
            "type": "object",
            "properties": [
                "id": string, "core_id": string, "run_id": string, "step": string, "kind": string, "title": string,
                "prompt": nullableString, "schema": ["type": ["object", "null"]], "assignee": string, "escalate_to": nullableString,
                "escalated": ["type": "boolean"], "on_timeout": string,
                "status": ["type": "string", "enum": .array(CheckpointStatus.allCases.map { .string($0.rawValue) })],
                "required_approvals": ["type": "integer"], "approvals": ["type": "array", "items": ["type": "object"]],
                "resolution": ["type": ["object", "null"]], "resolved_by": ["type": ["array", "null"]], "expires_at": nullableString,
                "created_at": string, "updated_at": string, "resolved_at": nullableString, "version": ["type": "integer"], "url": string,
                "run": ref("Run"),
            ],
        ],
        "CheckpointList": [
            "type": "object", "required": ["items", "next_cursor"],
            "properties": ["items": ["type": "array", "items": ref("Checkpoint")], "next_cursor": nullableString],
        ],
        "Resolution": [
            "type": "object", "required": ["decision"], "additionalProperties": false,
            "properties": [
                "decision": ["type": "string", "enum": ["approved", "rejected", "submitted"]], "data": ["type": "object"],
                "comment": ["type": "string", "maxLength": 4000], "wait": ["type": "number", "minimum": 0, "maximum": 60],
            ],
        ],
        "Reassignment": [
            "type": "object", "required": ["assignee"], "additionalProperties": false,
            "properties": ["assignee": string, "comment": ["type": "string", "maxLength": 4000]],
        ],
        "Notification": [
            "type": "object",
            "properties": [
                "id": string, "core_id": string, "checkpoint_id": nullableString, "kind": string, "recipient": string,
                "to": ["type": "array", "items": string], "subject": string, "body": string, "status": string,
                "attempts": ["type": "integer"], "last_error": nullableString, "created_at": string, "sent_at": nullableString,
            ],
        ],
        "NotificationList": [
            "type": "object", "required": ["items", "next_cursor"],
            "properties": ["items": ["type": "array", "items": ref("Notification")], "next_cursor": nullableString],
        ],
        "Me": [
            "type": "object",
            "properties": ["tenant_id": string, "user_id": string, "user_name": nullableString, "role": string],
        ],
        "LifecycleRequest": [
            "type": "object", "additionalProperties": false,
            "properties": ["reason": ["type": "string", "maxLength": 1000]],
        ],
    ]
}
