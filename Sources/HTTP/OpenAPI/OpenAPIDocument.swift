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
            parameters.append(["name": "id", "in": "path", "required": true, "schema": idSchema(operation.path)])
        }
        for name in operation.queryParameters {
            parameters.append(["name": .string(name), "in": "query", "required": false, "schema": querySchema(name, operation)])
        }
        if operation.conditional {
            parameters.append(["name": "If-Match", "in": "header", "required": false,
                               "schema": ["type": "string", "pattern": "^(\\*|\"[0-9]{1,18}\")$"],
                               "description": "ETag of the version the change is based on; 412 when stale"])
        }
        if operation.idempotent {
            parameters.append(["name": "Idempotency-Key", "in": "header", "required": false,
                               "schema": ["type": "string", "pattern": "^[!-~]([ -~]{0,253}[!-~])?$"],
                               "description": "1–255 printable ASCII characters: a repeated request with the same key and body answers the first one's result"])
        }
        if !parameters.isEmpty { result["parameters"] = .array(parameters) }
        if let permission = operation.permission {
            result["security"] = [["bearer": []]]
            result["x-permission"] = .string(permission.rawValue)
        } else {
            result["security"] = []
        }
        if let schema = operation.requestSchema {
            var json: [String: JSONValue] = ["schema": ref(schema)]
            if let example = examples[schema] { json["example"] = example }
            result["requestBody"] = [
                "required": .bool(schema != "LifecycleRequest"),
                "content": schema == "AvatarImage" ? imageContent : ["application/json": .object(json)],
            ]
        }
        var responses: [String: JSONValue] = [:]
        if let schema = operation.successSchema, let links = links[operation.operationID] {
            responses[String(operation.successStatus)] = [
                "description": "success", "content": ["application/json": ["schema": ref(schema)]], "links": links,
            ]
        } else if let schema = operation.successSchema {
            if schema == "AvatarImage" {
                responses[String(operation.successStatus)] = ["description": "success", "content": imageContent]
            } else {
                let type = schema == "PrometheusText" ? "text/plain" : "application/json"
                responses[String(operation.successStatus)] = ["description": "success", "content": .object([type: ["schema": ref(schema)]])]
            }
        } else {
            responses[String(operation.successStatus)] = ["description": "success"]
        }
        for status in operation.errorStatuses where responses[String(status)] == nil {
            responses[String(status)] = switch status {
            case 304: ["description": "not modified: the ETag in If-None-Match is current"]
            case 202: ["description": "accepted; still running after `wait`", "content": ["application/json": ["schema": ref("RunAccepted")]]]
            case 503 where operation.operationID == "readiness":
                ["description": "not ready: storage does not answer, or a store refuses writes", "content": ["application/json": ["schema": ref("Status")]]]
            default: ["description": "error", "content": ["application/json": ["schema": ref("Error")]]]
            }
        }
        result["responses"] = .object(responses)
        return .object(result)
    }

    /// The media types of an avatar image body.
    private static let imageContent: JSONValue = .object(Dictionary(uniqueKeysWithValues: InternalObjects.avatarTypes.sorted().map {
        ($0, ["schema": ["type": "string", "format": "binary"]] as JSONValue)
    }))

    /// The `{id}` of a path: a Core, run or checkpoint id (`core_` and 26 Crockford base-32 characters).
    private static func idSchema(_ path: String) -> JSONValue {
        let prefix = path.contains("/runs/") ? "run" : path.contains("/checkpoints/") ? "chk" : "core"
        return ["type": "string", "pattern": .string("^\(prefix)_[0-9A-HJKMNP-TV-Z]{26}$")]
    }

    private static func querySchema(_ name: String, _ operation: APIOperation) -> JSONValue {
        switch name {
        case "limit": ["type": "integer", "minimum": 1, "maximum": 200, "default": 50]
        case "status":
            ["type": "string", "pattern": .string(listPattern(statuses(of: operation))), "description": "comma-separated statuses"]
        case "wait": ["type": "integer", "minimum": 0, "maximum": 60, "description": "seconds to wait for the run to finish or suspend"]
        case "cursor":
            // Base64url without padding of at most 96 bytes, as `next_cursor` gives it.
            ["type": "string", "minLength": 2, "pattern": "^(?:[A-Za-z0-9_-]{4}){0,31}(?:[A-Za-z0-9_-]{2,3})?$",
             "description": "the `next_cursor` of the previous page"]
        case "assignee":
            ["type": "string", "pattern": .string("^(me|role:\(roleAlternation)|user:.{1,195})$")]
        default: ["type": "string", "minLength": 1, "maxLength": 200]
        }
    }

    /// The status vocabulary of a list operation.
    private static func statuses(of operation: APIOperation) -> [String] {
        switch operation.operationID {
        case "listCores": CoreStatus.allCases.map(\.rawValue)
        case "listRuns": RunStatus.allCases.map(\.rawValue)
        case "listCheckpoints": CheckpointStatus.allCases.map(\.rawValue)
        default: NotificationRoutes.statuses
        }
    }

    /// A comma-separated list of `words`.
    private static func listPattern(_ words: [String]) -> String {
        let word = "(" + words.joined(separator: "|") + ")"
        return "^\(word)(,\(word))*$"
    }

    /// Request examples: a Core whose IR validates (and which a stateful client can start, send
    /// an event and invoke), an event and an invocation of it.
    private static let examples: [String: JSONValue] = [
        "CoreCreate": [
            "name": "Example", "runtime_config": ["default_assignee": "role:approver"],
            "ir": [
                "ir_version": "1.0", "name": "example", "version": "1.0.0",
                "flows": [
                    "greet": ["triggers": [["type": "api"]], "steps": [["id": "hello", "op": "return", "value": "hello {{ input.name }}"]]],
                    "on_ping": ["triggers": [["type": "event", "event": "ping"]], "steps": [
                        ["id": "ask", "op": "checkpoint", "kind": "approval", "title": "Ping?", "assignee": "role:admin", "out": "d"],
                        ["id": "done", "op": "return", "value": "{{ d.approved }}"],
                    ]],
                ],
            ],
        ],
        "EventPost": ["event_name": "ping", "data": ["n": 1]],
        "Invocation": ["flow": "greet", "input": ["name": "Ada"], "wait": 5],
        "Resolution": ["decision": "approved", "comment": "fine"],
    ]

    /// Links between operations (OpenAPI 3.1 §4.8.20), so that a client — or a stateful tester —
    /// can follow a created Core to its routes, an event to its run and a run to its checkpoint.
    private static let links: [String: JSONValue] = {
        func link(_ operationID: String, _ expression: String) -> JSONValue {
            ["operationId": .string(operationID), "parameters": ["id": .string(expression)]]
        }
        let coreRoutes = ["getCore", "updateCore", "deleteCore", "putCoreAvatar", "getCoreAvatar", "deleteCoreAvatar", "postEvent",
                          "listEvents", "invokeFlow", "listRuns"] + LifecycleAction.allCases.map { "\($0.rawValue)Core" }
        let fromCore = JSONValue.object(Dictionary(uniqueKeysWithValues: coreRoutes.map { ($0, link($0, "$response.body#/id")) }))
        let fromRun: JSONValue = ["getRun": link("getRun", "$response.body#/run_id"), "cancelRun": link("cancelRun", "$response.body#/run_id")]
        let fromRunBody: JSONValue = [
            "getCheckpoint": link("getCheckpoint", "$response.body#/checkpoint_id"),
            "resolveCheckpoint": link("resolveCheckpoint", "$response.body#/checkpoint_id"),
            "reassignCheckpoint": link("reassignCheckpoint", "$response.body#/checkpoint_id"),
            "cancelRun": link("cancelRun", "$response.body#/id"),
        ]
        return ["createCore": fromCore, "postEvent": fromRun, "invokeFlow": fromRunBody, "getRun": fromRunBody]
    }()

    private static func ref(_ name: String) -> JSONValue { ["$ref": .string("#/components/schemas/\(name)")] }

    private static let statusEnum: JSONValue = .array(CoreStatus.allCases.map { .string($0.rawValue) })
    private static let string: JSONValue = ["type": "string"]
    /// A non-empty request string of at most `maxLength` characters without control characters.
    private static func text(_ maxLength: Int) -> JSONValue {
        ["type": "string", "minLength": 1, "maxLength": .integer(Int64(maxLength)), "pattern": "^[^\\u0000-\\u001F\\u007F-\\u009F]+$"]
    }
    /// `(admin|developer|…)`: the roles, as a pattern group.
    private static let roleAlternation = "(" + Role.allCases.map(\.rawValue).joined(separator: "|") + ")"
    private static let slug: JSONValue = ["type": "string", "pattern": .string(Slug.pattern)]
    private static let pluginList: JSONValue = ["type": "array", "maxItems": 100, "items": slug]
    private static let runtimeConfig: JSONValue = [
        "type": "object", "additionalProperties": false,
        "properties": ["default_assignee": [
            "type": "string",
            "pattern": .string("^(role:\(roleAlternation)|user:[^\\u0000-\\u001F\\u007F-\\u009F]{1,195})$"),
            "description": "who checkpoints assigned to `default` go to: role:<role> or user:<user id> of the tenant (422 when no such user)",
        ]],
    ]
    private static let assigneeText: JSONValue = [
        "type": "string", "pattern": .string("^(role:\(roleAlternation)|user:.{1,195})$"),
    ]
    private static let nullableString: JSONValue = ["type": ["string", "null"]]

    private static let schemas: [String: JSONValue] = [
        "Error": [
            "type": "object", "required": ["error"],
            "properties": ["error": [
                "type": "object", "required": ["code", "message", "details"],
                "properties": ["code": string, "message": string, "details": ["type": "object"]],
            ]],
        ],
        "Status": ["type": "object", "required": ["status"], "properties": ["status": string]],
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
                "name": text(200), "slug": slug,
                "ir": ["type": "object", "description": "an IR bundle (docs/ir.md); one that cannot run is a 422 listing every problem"],
                "runtime_config": runtimeConfig,
                "identity_mode": ["type": "string", "enum": .array(IdentityMode.allCases.map { .string($0.rawValue) })],
                "plugins": pluginList,
            ],
        ],
        "CorePatch": [
            "type": "object", "additionalProperties": false,
            "properties": [
                "name": text(200), "slug": slug,
                "ir": ["type": "object", "description": "an IR bundle (docs/ir.md); one that cannot run is a 422 listing every problem"],
                "runtime_config": runtimeConfig,
                "identity_mode": ["type": "string", "enum": .array(IdentityMode.allCases.map { .string($0.rawValue) })],
                "plugins": pluginList,
                "version": ["type": "integer", "minimum": 0, "maximum": 9_007_199_254_740_991, "description": "the version the change is based on; 409 when stale"],
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
        "RunAccepted": [
            "type": "object", "required": ["run_id", "status"],
            "properties": ["run_id": string, "status": string],
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
            "properties": ["flow": text(200), "input": [:], "wait": ["type": "number", "minimum": 0, "maximum": 60]],
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
                "comment": text(4000), "wait": ["type": "number", "minimum": 0, "maximum": 60],
            ],
        ],
        "Reassignment": [
            "type": "object", "required": ["assignee"], "additionalProperties": false,
            "properties": ["assignee": assigneeText, "comment": text(4000)],
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
            "properties": ["reason": text(1000)],
        ],
    ]
}
