/// Checks that need the whole bundle: step ids unique per flow, variables defined before use,
/// model aliases and plugins declared, called flows existing and never calling back into
/// themselves (an unbounded construct), entity types declared, functions known.
enum BundleChecks {
    /// Variables every flow can read.
    static let builtins: Set<String> = ["input", "trigger", "run", "env"]

    static func check(_ bundle: IRBundle, problems: inout [IRProblem]) {
        for name in bundle.flows.keys.sorted() {
            guard let flow = bundle.flows[name] else { continue }
            var ids: Set<String> = []
            var scope = builtins
            if let entity = flow.entity {
                if bundle.entities[entity] == nil {
                    problems.append(IRProblem("flows.\(name).entity", "unknown entity type '\(entity)'"))
                }
                scope.insert("entity")
            }
            _ = walk(flow.steps, scope: scope, bundle: bundle, ids: &ids, problems: &problems)
        }
        for type in bundle.entities.keys.sorted() {
            if let entity = bundle.entities[type] { expression(entity.key, "entities.\(type).key", scope: ["input"], &problems) }
        }
        checkCallCycles(bundle, &problems)
    }

    /// Checks a block; answers the names it defines (visible to the steps after it).
    private static func walk(_ steps: [Step], scope: Set<String>, bundle: IRBundle, ids: inout Set<String>, problems: inout [IRProblem]) -> Set<String> {
        var scope = scope
        var defined: Set<String> = []
        func define(_ name: String?) {
            guard let name else { return }
            scope.insert(name)
            defined.insert(name)
        }
        for step in steps {
            if !ids.insert(step.id).inserted { problems.append(IRProblem("\(step.path).id", "duplicate step id '\(step.id)'")) }
            if let when = step.when { expression(when, "\(step.path).when", scope: scope, &problems) }
            let at = { (field: String) in "\(step.path).\(field)" }
            switch step.kind {
            case .set(let variable, let value):
                templated(value, at("value"), scope: scope, &problems)
                define(variable)
            case .model(let alias, let prompt, let system, let out):
                if bundle.models[alias] == nil { problems.append(IRProblem(at("model"), "unknown model alias '\(alias)'")) }
                template(prompt, at("prompt"), scope: scope, &problems)
                if let system { template(system, at("system"), scope: scope, &problems) }
                define(out)
            case .plugin(let plugin, _, let args, let out):
                if !bundle.plugins.contains(plugin) { problems.append(IRProblem(at("plugin"), "plugin '\(plugin)' is not declared in plugins")) }
                if let args { templated(args, at("args"), scope: scope, &problems) }
                define(out)
            case .memoryGet(let key, let out, let fallback):
                template(key, at("key"), scope: scope, &problems)
                if let fallback { templated(fallback, at("default"), scope: scope, &problems) }
                define(out)
            case .memoryPut(let key, let value, _):
                template(key, at("key"), scope: scope, &problems)
                templated(value, at("value"), scope: scope, &problems)
            case .memoryDelete(let key):
                template(key, at("key"), scope: scope, &problems)
            case .emit(_, let data):
                if let data { templated(data, at("data"), scope: scope, &problems) }
            case .checkpoint(let spec):
                template(spec.title, at("title"), scope: scope, &problems)
                if let prompt = spec.prompt { template(prompt, at("prompt"), scope: scope, &problems) }
                template(spec.assignee, at("assignee"), scope: scope, &problems)
                if let escalateTo = spec.escalateTo { template(escalateTo, at("escalate_to"), scope: scope, &problems) }
                define(spec.out)
            case .if(let condition, let then, let otherwise):
                expression(condition, at("cond"), scope: scope, &problems)
                let fromThen = walk(then, scope: scope, bundle: bundle, ids: &ids, problems: &problems)
                let fromElse = walk(otherwise, scope: scope, bundle: bundle, ids: &ids, problems: &problems)
                for name in fromThen.union(fromElse) { define(name) }
            case .forEach(let items, let variable, let index, let body, _):
                expression(items, at("items"), scope: scope, &problems)
                var inner = scope
                inner.insert(variable)
                if let index { inner.insert(index) }
                let fromBody = walk(body, scope: inner, bundle: bundle, ids: &ids, problems: &problems)
                for name in fromBody where name != variable && name != index { define(name) }
            case .call(let flow, let input, let out):
                if bundle.flows[flow] == nil { problems.append(IRProblem(at("flow"), "unknown flow '\(flow)'")) }
                if let input { templated(input, at("input"), scope: scope, &problems) }
                define(out)
            case .sleepFor:
                break
            case .sleepUntil(let until):
                template(until, at("until"), scope: scope, &problems)
            case .log(let message, _):
                template(message, at("message"), scope: scope, &problems)
            case .return(let value):
                if let value { templated(value, at("value"), scope: scope, &problems) }
            case .fail(let message, _):
                template(message, at("message"), scope: scope, &problems)
            }
        }
        return defined
    }

    private static func expression(_ expression: Expression, _ path: String, scope: Set<String>, _ problems: inout [IRProblem]) {
        for name in expression.variables.subtracting(scope).sorted() {
            problems.append(IRProblem(path, "undefined variable '\(name)'"))
        }
        for function in expression.functions.sorted() where ExpressionFunctions.arities[function] == nil {
            problems.append(IRProblem(path, "bad expression: unknown function '\(function)'"))
        }
        for message in knowableErrors(expression) { problems.append(IRProblem(path, "bad expression: \(message)")) }
    }

    /// Errors that do not depend on any variable: calls with the wrong number of arguments, and
    /// the evaluation errors of parts made of constants only (`'a' - 1`, `1 / 0`).
    static func knowableErrors(_ expression: Expression) -> [String] {
        var errors: [String] = []
        func visit(_ node: Expression) {
            if case .call(let name, let arguments) = node, let arity = ExpressionFunctions.arities[name], !arity.contains(arguments.count) {
                let expected = arity.lowerBound == arity.upperBound ? "\(arity.lowerBound)" : "\(arity.lowerBound) to \(arity.upperBound)"
                errors.append("\(name) takes \(expected) arguments, got \(arguments.count)")
                arguments.forEach(visit)
                return
            }
            if node.variables.isEmpty, node.functions.allSatisfy({ ExpressionFunctions.arities[$0] != nil }) {
                if case .literal = node { return }
                do { _ = try ExpressionEvaluator.evaluate(node, variables: [:]) } catch { errors.append(error.message) }
                return
            }
            node.children.forEach(visit)
        }
        visit(expression)
        return errors
    }

    private static func template(_ template: Template, _ path: String, scope: Set<String>, _ problems: inout [IRProblem]) {
        for part in template.parts {
            if case .expression(let inner) = part { expression(inner, path, scope: scope, &problems) }
        }
    }

    private static func templated(_ value: TemplatedValue, _ path: String, scope: Set<String>, _ problems: inout [IRProblem]) {
        for (subpath, inner) in value.templates(path: path) { template(inner, subpath, scope: scope, &problems) }
    }

    /// Reports each cycle of `call` steps once, at the call that closes it.
    private static func checkCallCycles(_ bundle: IRBundle, _ problems: inout [IRProblem]) {
        var calls: [String: [(flow: String, path: String)]] = [:]
        for (name, flow) in bundle.flows { calls[name] = callSites(flow.steps) }
        var finished: Set<String> = []
        var stack: [String] = []
        func visit(_ flow: String) {
            if finished.contains(flow) { return }
            stack.append(flow)
            for site in calls[flow] ?? [] where bundle.flows[site.flow] != nil {
                if let start = stack.firstIndex(of: site.flow) {
                    let cycle = stack[start...] + [site.flow]
                    problems.append(IRProblem(site.path, "call cycle: \(cycle.joined(separator: " → "))"))
                } else {
                    visit(site.flow)
                }
            }
            stack.removeLast()
            finished.insert(flow)
        }
        for name in bundle.flows.keys.sorted() { visit(name) }
    }

    private static func callSites(_ steps: [Step]) -> [(flow: String, path: String)] {
        steps.flatMap { step -> [(flow: String, path: String)] in
            switch step.kind {
            case .call(let flow, _, _): [(flow, "\(step.path).flow")]
            case .if(_, let then, let otherwise): callSites(then) + callSites(otherwise)
            case .forEach(_, _, _, let body, _): callSites(body)
            default: []
            }
        }
    }
}
