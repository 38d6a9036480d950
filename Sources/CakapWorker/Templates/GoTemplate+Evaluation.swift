import Foundation

/// Renders nodes: dot, `$`, and a stack of variable scopes (a block's variables end with it).
struct TemplateEvaluator {
    let root: TemplateValue
    var scopes: [[String: TemplateValue]] = [[:]]

    init(root: TemplateValue) {
        self.root = root
    }

    mutating func render(_ nodes: [TemplateNode], dot: TemplateValue, into output: inout String) throws {
        for node in nodes {
            switch node {
            case .text(let text): output += text
            case .action(let pipeline): output += try evaluate(pipeline, dot: dot).printed
            case .assign(let name, let pipeline, let declare):
                let value = try evaluate(pipeline, dot: dot)
                if declare {
                    scopes[scopes.count - 1][name] = value
                } else {
                    guard let scope = scopes.lastIndex(where: { $0[name] != nil }) else {
                        throw TemplateError(description: "assignment to undeclared variable \(name)")
                    }
                    scopes[scope][name] = value
                }
            case .conditional(let branches, let otherwise):
                let chosen = try branches.first { try evaluate($0.0, dot: dot).isTruthy }
                try scoped(chosen?.1 ?? otherwise ?? [], dot: dot, into: &output)
            case .with(let pipeline, let body, let otherwise):
                let value = try evaluate(pipeline, dot: dot)
                if value.isTruthy {
                    try scoped(body, dot: value, into: &output)
                } else {
                    try scoped(otherwise ?? [], dot: dot, into: &output)
                }
            case .range(let variables, let pipeline, let body, let otherwise):
                try renderRange(variables, try evaluate(pipeline, dot: dot), body, otherwise, dot: dot, into: &output)
            }
        }
    }

    private mutating func scoped(
        _ nodes: [TemplateNode], dot: TemplateValue, variables: [String: TemplateValue] = [:],
        into output: inout String
    ) throws {
        scopes.append(variables)
        defer { scopes.removeLast() }
        try render(nodes, dot: dot, into: &output)
    }

    private mutating func renderRange(
        _ variables: [String], _ value: TemplateValue, _ body: [TemplateNode], _ otherwise: [TemplateNode]?,
        dot: TemplateValue, into output: inout String
    ) throws {
        var elements: [(TemplateValue, TemplateValue)] = []
        switch value {
        case .list(let items): elements = items.enumerated().map { (.int($0.offset), $0.element) }
        case .map(let fields): elements = fields.keys.sorted().map { (.string($0), fields[$0]!) }
        case .int(let count): elements = (0..<max(count, 0)).map { (.int($0), .int($0)) }
        case .null: break
        default: throw TemplateError(description: "range over \(value.printed), which is not a list")
        }
        guard !elements.isEmpty else {
            try scoped(otherwise ?? [], dot: dot, into: &output)
            return
        }
        for (key, element) in elements {
            var bound: [String: TemplateValue] = [:]
            if variables.count == 1 { bound[variables[0]] = element }
            if variables.count == 2 {
                bound[variables[0]] = key
                bound[variables[1]] = element
            }
            try scoped(body, dot: element, variables: bound, into: &output)
        }
    }

    func evaluate(_ pipeline: TemplatePipeline, dot: TemplateValue) throws -> TemplateValue {
        var previous: TemplateValue?
        for command in pipeline.commands {
            previous = try evaluate(command, dot: dot, piped: previous)
        }
        return previous ?? .null
    }

    private func evaluate(
        _ command: [TemplateOperand], dot: TemplateValue, piped: TemplateValue?
    ) throws
        -> TemplateValue
    {
        if case .function(let name) = command[0] {
            var arguments = try command.dropFirst().map { try value(of: $0, dot: dot) }
            if let piped { arguments.append(piped) }
            return try TemplateFunctions.call(name, arguments)
        }
        guard command.count == 1, piped == nil else {
            throw TemplateError(description: "only a function can take arguments")
        }
        return try value(of: command[0], dot: dot)
    }

    private func value(of operand: TemplateOperand, dot: TemplateValue) throws -> TemplateValue {
        switch operand {
        case .literal(let value): return value
        case .field(let path): return Self.lookup(path, in: dot)
        case .variable(let name, let path):
            if name == "$" { return Self.lookup(path, in: root) }
            guard let value = scopes.last(where: { $0[name] != nil })?[name] else {
                throw TemplateError(description: "undefined variable \(name)")
            }
            return Self.lookup(path, in: value)
        case .parenthesized(let pipeline, let path): return Self.lookup(path, in: try evaluate(pipeline, dot: dot))
        case .function(let name): return try TemplateFunctions.call(name, [])
        }
    }

    /// Field access; a missing field is nil (Ollama parses with missingkey=zero).
    static func lookup(_ path: [String], in value: TemplateValue) -> TemplateValue {
        var current = value
        for name in path {
            guard case .map(let fields) = current else { return .null }
            current = fields[name] ?? .null
        }
        return current
    }
}

/// The functions Ollama's library templates call.
enum TemplateFunctions {
    static func call(_ name: String, _ arguments: [TemplateValue]) throws -> TemplateValue {
        func need(_ count: Int) throws {
            guard arguments.count >= count else { throw TemplateError(description: "\(name) needs \(count) arguments") }
        }
        switch name {
        case "eq":
            try need(2)
            return .bool(arguments.dropFirst().contains(arguments[0]))
        case "ne":
            try need(2)
            return .bool(arguments[0] != arguments[1])
        case "lt", "le", "gt", "ge":
            try need(2)
            return .bool(try compare(name, arguments[0], arguments[1]))
        case "and": return arguments.first { !$0.isTruthy } ?? arguments.last ?? .null
        case "or": return arguments.first { $0.isTruthy } ?? arguments.last ?? .null
        case "not":
            try need(1)
            return .bool(!arguments[0].isTruthy)
        case "len":
            try need(1)
            return .int(try length(arguments[0]))
        case "slice": return try slice(arguments)
        case "index": return try index(arguments)
        case "json": return .string(json(arguments.first ?? .null))
        case "print": return .string(arguments.map(\.printed).joined())
        default: throw TemplateError(description: "function \"\(name)\" is outside the template subset Cakap renders")
        }
    }

    static func length(_ value: TemplateValue) throws -> Int {
        switch value {
        case .list(let items): items.count
        case .map(let fields): fields.count
        case .string(let text): text.utf8.count
        case .null: 0
        default: throw TemplateError(description: "len of \(value.printed)")
        }
    }

    static func compare(_ name: String, _ left: TemplateValue, _ right: TemplateValue) throws -> Bool {
        switch (left, right) {
        case (.int(let a), .int(let b)):
            return ["lt": a < b, "le": a <= b, "gt": a > b, "ge": a >= b][name]!
        case (.string(let a), .string(let b)):
            return ["lt": a < b, "le": a <= b, "gt": a > b, "ge": a >= b][name]!
        default: throw TemplateError(description: "\(name) compares numbers or strings")
        }
    }

    /// `slice x i [j]` of a list or string.
    static func slice(_ arguments: [TemplateValue]) throws -> TemplateValue {
        guard let subject = arguments.first else { throw TemplateError(description: "slice needs a list") }
        let bounds = try arguments.dropFirst().map { argument -> Int in
            guard case .int(let number) = argument else { throw TemplateError(description: "slice bounds are numbers") }
            return number
        }
        let count = try length(subject)
        let lower = bounds.first ?? 0
        let upper = bounds.count > 1 ? bounds[1] : count
        guard 0 <= lower, lower <= upper, upper <= count else {
            throw TemplateError(description: "slice bounds \(lower)…\(upper) out of range of \(count)")
        }
        switch subject {
        case .list(let items): return .list(Array(items[lower..<upper]))
        case .string(let text): return .string(String(decoding: Array(text.utf8)[lower..<upper], as: UTF8.self))
        default: return .list([])
        }
    }

    static func index(_ arguments: [TemplateValue]) throws -> TemplateValue {
        var current = arguments.first ?? .null
        for key in arguments.dropFirst() {
            switch (current, key) {
            case (.list(let items), .int(let position)) where items.indices.contains(position):
                current = items[position]
            case (.map(let fields), .string(let name)): current = fields[name] ?? .null
            default: throw TemplateError(description: "index \(key.printed) out of range")
            }
        }
        return current
    }

    static func json(_ value: TemplateValue) -> String {
        func plain(_ value: TemplateValue) -> Any {
            switch value {
            case .null: NSNull()
            case .bool(let flag): flag
            case .int(let number): number
            case .string(let text): text
            case .list(let items): items.map(plain)
            case .map(let fields): fields.mapValues(plain)
            }
        }
        let object = plain(value)
        guard JSONSerialization.isValidJSONObject([object]),
            let data = try? JSONSerialization.data(
                withJSONObject: [object], options: [.sortedKeys, .withoutEscapingSlashes])
        else { return "null" }
        return String(String(decoding: data, as: UTF8.self).dropFirst().dropLast())
    }
}
