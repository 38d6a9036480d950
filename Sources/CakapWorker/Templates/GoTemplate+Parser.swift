/// Builds the node tree from the lexer's items: blocks end at `{{ end }}`, `{{ else }}` or
/// `{{ else if … }}`.
struct TemplateParser {
    typealias Token = TemplateLexer.Token
    let items: [TemplateLexer.Item]
    var position = 0

    init(items: [TemplateLexer.Item]) {
        self.items = items
    }

    /// How a block's list of nodes ended.
    enum Terminator {
        case end, otherwise, otherwiseIf([Token]), endOfInput
    }

    mutating func parseAll() throws -> [TemplateNode] {
        let (nodes, terminator) = try parseList()
        guard case .endOfInput = terminator else {
            throw TemplateError(description: "unexpected {{ end }} or {{ else }}")
        }
        return nodes
    }

    mutating func parseList() throws -> ([TemplateNode], Terminator) {
        var nodes: [TemplateNode] = []
        while position < items.count {
            let item = items[position]
            position += 1
            switch item {
            case .text(let text): nodes.append(.text(text))
            case .action(let tokens):
                guard case .word(let keyword)? = tokens.first else {
                    nodes.append(try action(tokens))
                    continue
                }
                switch keyword {
                case "end": return (nodes, .end)
                case "else":
                    if case .word("if")? = tokens.dropFirst().first {
                        return (nodes, .otherwiseIf(Array(tokens.dropFirst(2))))
                    }
                    return (nodes, .otherwise)
                case "if": nodes.append(try conditional(Array(tokens.dropFirst())))
                case "range": nodes.append(try range(Array(tokens.dropFirst())))
                case "with":
                    let pipeline = try Self.pipeline(Array(tokens.dropFirst()))
                    let (body, otherwise) = try blockBody("with")
                    nodes.append(.with(pipeline: pipeline, body: body, otherwise: otherwise))
                case "define", "template", "block", "break", "continue":
                    throw TemplateError(description: "{{ \(keyword) }} is outside the template subset Cakap renders")
                default: nodes.append(try action(tokens))
                }
            }
        }
        return (nodes, .endOfInput)
    }

    /// A block's body and its `else` part, consuming the closing `{{ end }}`.
    mutating func blockBody(_ keyword: String) throws -> ([TemplateNode], [TemplateNode]?) {
        let (body, terminator) = try parseList()
        switch terminator {
        case .end: return (body, nil)
        case .otherwise:
            let (otherwise, end) = try parseList()
            guard case .end = end else {
                throw TemplateError(description: "{{ \(keyword) }} … {{ else }} is not ended")
            }
            return (body, otherwise)
        case .otherwiseIf(let tokens):
            // `{{ else if x }}` is `{{ else }}{{ if x }}…{{ end }}` sharing the outer end.
            return (body, [try conditional(tokens)])
        case .endOfInput: throw TemplateError(description: "{{ \(keyword) }} has no {{ end }}")
        }
    }

    mutating func conditional(_ tokens: [Token]) throws -> TemplateNode {
        let condition = try Self.pipeline(tokens)
        let (body, otherwise) = try blockBody("if")
        if let otherwise, otherwise.count == 1, case .conditional(let more, let last) = otherwise[0] {
            return .conditional(branches: [(condition, body)] + more, otherwise: last)
        }
        return .conditional(branches: [(condition, body)], otherwise: otherwise)
    }

    mutating func range(_ tokens: [Token]) throws -> TemplateNode {
        var variables: [String] = []
        var rest = tokens[...]
        if let declare = tokens.firstIndex(of: .declare) {
            for token in tokens[..<declare] {
                switch token {
                case .word(let name) where name.hasPrefix("$"): variables.append(name)
                case .comma: continue
                default: throw TemplateError(description: "range declares variables as $i, $e :=")
                }
            }
            rest = tokens[tokens.index(after: declare)...]
        }
        let pipeline = try Self.pipeline(Array(rest))
        let (body, otherwise) = try blockBody("range")
        return .range(variables: variables, pipeline: pipeline, body: body, otherwise: otherwise)
    }

    func action(_ tokens: [Token]) throws -> TemplateNode {
        if tokens.count >= 2, case .word(let name) = tokens[0], name.hasPrefix("$"),
            tokens[1] == .declare || tokens[1] == .assign
        {
            return .assign(
                name: name, pipeline: try Self.pipeline(Array(tokens.dropFirst(2))), declare: tokens[1] == .declare)
        }
        return .action(try Self.pipeline(tokens))
    }

    /// `command | command …`.
    static func pipeline(_ tokens: [Token]) throws -> TemplatePipeline {
        var commands: [[TemplateOperand]] = []
        var index = 0
        var current: [TemplateOperand] = []
        while index < tokens.count {
            switch tokens[index] {
            case .pipe:
                guard !current.isEmpty else { throw TemplateError(description: "empty command before |") }
                commands.append(current)
                current = []
                index += 1
            default: current.append(try operand(tokens, &index))
            }
        }
        guard !current.isEmpty else { throw TemplateError(description: "an action or condition is empty") }
        commands.append(current)
        return TemplatePipeline(commands: commands)
    }

    static func operand(_ tokens: [Token], _ index: inout Int) throws -> TemplateOperand {
        let token = tokens[index]
        index += 1
        switch token {
        case .string(let text): return .literal(.string(text))
        case .open:
            var depth = 1
            let start = index
            while index < tokens.count, depth > 0 {
                if tokens[index] == .open { depth += 1 }
                if tokens[index] == .close { depth -= 1 }
                index += 1
            }
            guard depth == 0 else { throw TemplateError(description: "unbalanced parentheses") }
            let inner = try pipeline(Array(tokens[start..<(index - 1)]))
            var path: [String] = []
            if index < tokens.count, case .word(let word) = tokens[index], word.hasPrefix(".") {
                path = word.split(separator: ".").map(String.init)
                index += 1
            }
            return .parenthesized(inner, path)
        case .word(let word): return try Self.word(word)
        default: throw TemplateError(description: "unexpected \(token) in an action")
        }
    }

    static func word(_ word: String) throws -> TemplateOperand {
        if word.hasPrefix(".") { return .field(word.split(separator: ".").map(String.init)) }
        if word.hasPrefix("$") {
            let parts = word.split(separator: ".", omittingEmptySubsequences: false).map(String.init)
            return .variable(parts[0], Array(parts.dropFirst()))
        }
        switch word {
        case "true": return .literal(.bool(true))
        case "false": return .literal(.bool(false))
        case "nil": return .literal(.null)
        default: break
        }
        if let number = Int(word) { return .literal(.int(number)) }
        guard word.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "_" }) else {
            throw TemplateError(description: "cannot read '\(word)' in an action")
        }
        return .function(word)
    }
}
