/// The stored form of an ``EngineState``: compact JSON written and read through ``JSONValue``
/// (an order of magnitude faster than JSONEncoder over the same structure). This is the form
/// the appliance keeps in checkpoint blobs.
extension EngineState {
    /// The state as compact JSON bytes.
    public func encoded() -> [UInt8] {
        json.encodedBytes(sortedKeys: false)
    }

    /// Reads a state written by ``encoded()``; throws when the bytes are not such a state.
    public init(encoded bytes: some Collection<UInt8>) throws(EngineStateDecodingError) {
        let value: JSONValue
        do { value = try JSONValue.parse(bytes) } catch { throw EngineStateDecodingError(reason: error.description) }
        guard let fields = value.objectValue, let format = fields["format"]?.integerValue,
              let steps = fields["steps"]?.integerValue, let frames = fields["frames"]?.arrayValue else {
            throw EngineStateDecodingError(reason: "missing format, steps or frames")
        }
        self.init()
        self.format = Int(format)
        stepsExecuted = Int(steps)
        self.frames = try frames.map(Self.frame)
        if let pending = fields["pending"]?.objectValue {
            guard let kind = pending["kind"]?.stringValue.flatMap(Pending.Kind.init(rawValue:)), let key = pending["key"]?.stringValue else {
                throw EngineStateDecodingError(reason: "bad pending effect")
            }
            self.pending = Pending(kind: kind, key: key, resultVariable: pending["result"]?.stringValue)
        }
    }

    var json: JSONValue {
        var fields: [String: JSONValue] = [
            "format": .integer(Int64(format)), "steps": .integer(Int64(stepsExecuted)),
            "frames": .array(frames.map { frame in
                var object: [String: JSONValue] = [
                    "flow": .string(frame.flow), "vars": .object(frame.variables), "prefix": .string(frame.keyPrefix),
                    "blocks": .array(frame.blocks.map { block in
                        var object: [String: JSONValue] = ["at": .array(block.address.map { .integer(Int64($0)) }), "next": .integer(Int64(block.next))]
                        if let loop = block.loop {
                            var loopObject: [String: JSONValue] = [
                                "step": .string(loop.stepID), "items": .array(loop.items), "pos": .integer(Int64(loop.position)),
                                "var": .string(loop.variable),
                            ]
                            if let index = loop.index { loopObject["index"] = .string(index) }
                            object["loop"] = .object(loopObject)
                        }
                        return .object(object)
                    }),
                ]
                if let result = frame.resultVariable { object["result"] = .string(result) }
                return .object(object)
            }),
        ]
        if let pending {
            var object: [String: JSONValue] = ["kind": .string(pending.kind.rawValue), "key": .string(pending.key)]
            if let result = pending.resultVariable { object["result"] = .string(result) }
            fields["pending"] = .object(object)
        }
        return .object(fields)
    }

    private static func frame(_ value: JSONValue) throws(EngineStateDecodingError) -> Frame {
        guard let fields = value.objectValue, let flow = fields["flow"]?.stringValue, let variables = fields["vars"]?.objectValue,
              let prefix = fields["prefix"]?.stringValue, let blocks = fields["blocks"]?.arrayValue else {
            throw EngineStateDecodingError(reason: "bad frame")
        }
        return Frame(flow: flow, variables: variables, keyPrefix: prefix, blocks: try blocks.map(block),
                     resultVariable: fields["result"]?.stringValue)
    }

    private static func block(_ value: JSONValue) throws(EngineStateDecodingError) -> Block {
        guard let fields = value.objectValue, let address = fields["at"]?.arrayValue, let next = fields["next"]?.integerValue else {
            throw EngineStateDecodingError(reason: "bad block")
        }
        var loop: Loop?
        if let raw = fields["loop"]?.objectValue {
            guard let step = raw["step"]?.stringValue, let items = raw["items"]?.arrayValue, let position = raw["pos"]?.integerValue,
                  let variable = raw["var"]?.stringValue else { throw EngineStateDecodingError(reason: "bad loop") }
            loop = Loop(stepID: step, items: items, position: Int(position), variable: variable, index: raw["index"]?.stringValue)
        }
        let positions = address.compactMap(\.integerValue).map { Int($0) }
        guard positions.count == address.count else { throw EngineStateDecodingError(reason: "bad block address") }
        return Block(address: positions, next: Int(next), loop: loop)
    }
}

/// Bytes that are not a stored engine state.
public struct EngineStateDecodingError: Error, Sendable, CustomStringConvertible {
    public let reason: String
    public var description: String { "not an engine state: \(reason)" }
}
