import Foundation
import CoreEngine

/// The built-in deterministic model provider: the same prompt always gets the same answer, with
/// no network and no weights. For tests, offline development and air-gapped installs.
///
/// - `builtin:echo` answers the prompt itself;
/// - `builtin:reply` answers the alias's `params.reply` text (empty without one);
/// - `builtin:first-choice` answers the first option of the list after "one word:" in the system
///   text or the prompt (`Answer with one word: goods, services or travel` → `goods`), else the prompt.
/// Any other model name answers like `echo`.
public struct BuiltinModelProvider: ModelProvider {
    public let name = "builtin"

    public init() {}

    public func complete(model: String, params: JSONValue, prompt: String, system: String?) async throws -> String {
        switch model {
        case "reply":
            return params.objectValue?["reply"]?.stringValue ?? ""
        case "first-choice":
            return Self.firstChoice(in: system ?? "") ?? Self.firstChoice(in: prompt) ?? prompt
        default:
            return prompt
        }
    }

    /// The first option after "one word:" — options end at a comma, " or ", or the sentence's end.
    static func firstChoice(in text: String) -> String? {
        guard let marker = text.range(of: "one word:", options: .caseInsensitive) else { return nil }
        let rest = text[marker.upperBound...].trimmingCharacters(in: .whitespaces)
        let word = rest.prefix { $0.isLetter || $0.isNumber || $0 == "-" || $0 == "_" }
        return word.isEmpty ? nil : String(word)
    }
}
