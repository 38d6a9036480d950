/// The subset of Go's `text/template` that Ollama's library templates use (issue 17): text,
/// `{{ pipeline }}` actions with `{{-`/`-}}` trimming, `if`/`else if`/`else`, `range` (with
/// `$index, $element :=`), `with`, variables (`$x := …`, `$.Field`), fields (`.System`,
/// `.Messages`, `.Role`, `.Content`), string/number/bool literals, parentheses, `|` pipes, and the
/// functions `eq ne lt le gt ge and or not len slice index json print`. `define`, `template`
/// and `block` are refused when parsing, so a template we cannot render is an error, never a
/// silently wrong prompt.
struct GoTemplate: Sendable {
    /// The parsed tree.
    var nodes: [TemplateNode]

    /// Parses `source`.
    /// - Throws: `TemplateError` naming the first construct outside the subset.
    init(parsing source: String) throws {
        var parser = TemplateParser(items: try TemplateLexer.items(of: source))
        nodes = try parser.parseAll()
    }

    init(nodes: [TemplateNode]) {
        self.nodes = nodes
    }

    /// Renders the template with `data` as dot (and `$`).
    func render(_ data: TemplateValue) throws -> String {
        var evaluator = TemplateEvaluator(root: data)
        var output = ""
        try evaluator.render(nodes, dot: data, into: &output)
        return output
    }

    /// Every field and variable name the template mentions, lowercased (Ollama's `Vars`).
    var identifiers: Set<String> {
        var names: Set<String> = []
        for node in nodes { node.collectIdentifiers(into: &names) }
        return names
    }
}

/// A template failed to parse or to render.
struct TemplateError: Error, CustomStringConvertible, Sendable {
    var description: String
}

/// A value a template reads: Go's `any` as far as these templates need it.
enum TemplateValue: Sendable, Equatable {
    case null
    case bool(Bool)
    case int(Int)
    case string(String)
    case list([TemplateValue])
    case map([String: TemplateValue])

    /// Go's truth: false, 0, "", empty list or map, and nil are false.
    var isTruthy: Bool {
        switch self {
        case .null: false
        case .bool(let flag): flag
        case .int(let number): number != 0
        case .string(let text): !text.isEmpty
        case .list(let items): !items.isEmpty
        case .map(let fields): !fields.isEmpty
        }
    }

    /// How `{{ value }}` prints it (nil prints nothing, as missing keys do with missingkey=zero
    /// on the string-typed fields Ollama passes).
    var printed: String {
        switch self {
        case .null: ""
        case .bool(let flag): flag ? "true" : "false"
        case .int(let number): String(number)
        case .string(let text): text
        case .list(let items): "[" + items.map(\.printed).joined(separator: " ") + "]"
        case .map(let fields):
            "map[" + fields.keys.sorted().map { "\($0):\(fields[$0]!.printed)" }.joined(separator: " ") + "]"
        }
    }
}

/// One node of a parsed template.
indirect enum TemplateNode: Sendable {
    case text(String)
    /// `{{ pipeline }}`, printing its value.
    case action(TemplatePipeline)
    /// `{{ $name := pipeline }}` (declare) or `{{ $name = pipeline }}` (assign): prints nothing.
    case assign(name: String, pipeline: TemplatePipeline, declare: Bool)
    /// `if`, its `else if`s, and an optional `else`.
    case conditional(branches: [(TemplatePipeline, [TemplateNode])], otherwise: [TemplateNode]?)
    /// `range [$i[, $e] :=] pipeline`.
    case range(variables: [String], pipeline: TemplatePipeline, body: [TemplateNode], otherwise: [TemplateNode]?)
    /// `with pipeline`.
    case with(pipeline: TemplatePipeline, body: [TemplateNode], otherwise: [TemplateNode]?)

    func collectIdentifiers(into names: inout Set<String>) {
        switch self {
        case .text: break
        case .action(let pipeline), .assign(_, let pipeline, _): pipeline.collectIdentifiers(into: &names)
        case .conditional(let branches, let otherwise):
            for (condition, body) in branches {
                condition.collectIdentifiers(into: &names)
                for node in body { node.collectIdentifiers(into: &names) }
            }
            for node in otherwise ?? [] { node.collectIdentifiers(into: &names) }
        case .range(_, let pipeline, let body, let otherwise), .with(let pipeline, let body, let otherwise):
            pipeline.collectIdentifiers(into: &names)
            for node in body + (otherwise ?? []) { node.collectIdentifiers(into: &names) }
        }
    }
}

/// `command | command …`: each command's value is the last argument of the next.
struct TemplatePipeline: Sendable {
    var commands: [[TemplateOperand]]

    func collectIdentifiers(into names: inout Set<String>) {
        for operand in commands.joined() { operand.collectIdentifiers(into: &names) }
    }

    /// Whether the pipeline reads the field `name` anywhere.
    func mentions(field name: String) -> Bool {
        commands.joined().contains { $0.mentions(field: name) }
    }
}

/// One argument of a command.
indirect enum TemplateOperand: Sendable {
    /// `.A.B` (empty path: `.` itself).
    case field([String])
    /// `$name.A.B` (`$` alone is the root).
    case variable(String, [String])
    case literal(TemplateValue)
    /// A function name.
    case function(String)
    /// `( pipeline )`, optionally followed by `.Field`s.
    case parenthesized(TemplatePipeline, [String])

    func collectIdentifiers(into names: inout Set<String>) {
        switch self {
        case .field(let path): for name in path { names.insert(name.lowercased()) }
        case .variable(_, let path): for name in path { names.insert(name.lowercased()) }
        case .parenthesized(let pipeline, let path):
            pipeline.collectIdentifiers(into: &names)
            for name in path { names.insert(name.lowercased()) }
        case .literal, .function: break
        }
    }

    func mentions(field name: String) -> Bool {
        switch self {
        case .field(let path), .variable(_, let path): path.contains(name)
        case .parenthesized(let pipeline, let path): path.contains(name) || pipeline.mentions(field: name)
        case .literal, .function: false
        }
    }
}
