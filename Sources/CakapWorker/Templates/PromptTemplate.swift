import OllamaAPI

/// A model's Go chat template, applied to messages the way Ollama applies it
/// (ollama/ollama `template/template.go`, `Execute`): consecutive messages of one role are merged,
/// the system messages are joined into `.System`; a template that ranges over `.Messages` renders
/// once, an older `.Prompt`/`.Response` template renders once per exchange and, for the last
/// one, only up to `{{ .Response }}` so the prompt ends where the assistant's reply begins.
struct PromptTemplate: Sendable {
    /// The template text as the model ships it (what `/api/show` returns).
    let source: String
    let template: GoTemplate
    let usesMessages: Bool

    /// - Throws: `TemplateError` when the text is outside the subset `GoTemplate` renders.
    init(_ source: String) throws {
        self.source = source
        var template = try GoTemplate(parsing: source)
        let identifiers = template.identifiers
        if !identifiers.contains("messages") && !identifiers.contains("response") {
            // As Ollama does: a template without .Response gets one appended.
            template.nodes.append(.action(TemplatePipeline(commands: [[.field(["Response"])]])))
        }
        self.template = template
        usesMessages = identifiers.contains("messages")
    }

    /// The prompt for `messages`, ending where the assistant's next reply starts.
    func render(_ messages: [Message]) throws -> String {
        let (joinedSystem, collated) = Self.collate(messages)
        if usesMessages {
            return try template.render(Self.values(system: joinedSystem, prompt: "", response: "", messages: collated))
        }
        var output = ""
        var system = ""
        var prompt = ""
        var response = ""
        func execute() throws {
            output += try template.render(Self.values(system: system, prompt: prompt, response: response))
            (system, prompt, response) = ("", "", "")
        }
        for message in collated {
            switch message.role {
            case "system":
                if !prompt.isEmpty || !response.isEmpty { try execute() }
                system = message.content
            case "user":
                if !response.isEmpty { try execute() }
                prompt = message.content
            case "assistant": response = message.content
            default: break
            }
        }
        var cut = false
        let last = GoTemplate(nodes: Self.cutAfterResponse(template.nodes, &cut))
        output += try last.render(Self.values(system: system, prompt: prompt, response: response))
        return output
    }

    static func values(system: String, prompt: String, response: String, messages: [Message] = []) -> TemplateValue {
        .map([
            "System": .string(system), "Prompt": .string(prompt), "Response": .string(response),
            "Messages": .list(
                messages.map { .map(["Role": .string($0.role), "Content": .string($0.content), "ToolCalls": .null]) }),
            "Tools": .null, "Think": .bool(false), "IsThinkSet": .bool(false), "Suffix": .string(""),
        ])
    }

    /// Ollama's `collate`: consecutive messages of one role become one (joined by a blank line);
    /// every system message also goes into the joined system text.
    static func collate(_ messages: [Message]) -> (String, [Message]) {
        var system: [String] = []
        var collated: [Message] = []
        for message in messages {
            if message.role == "system" { system.append(message.content) }
            if let last = collated.last, last.role == message.role, message.role != "tool" {
                collated[collated.count - 1].content += "\n\n" + message.content
            } else {
                collated.append(Message(role: message.role, content: message.content))
            }
        }
        return (system.joined(separator: "\n\n"), collated)
    }

    /// Keeps everything up to and including the first `{{ .Response }}` action and drops every
    /// node after it, at every depth (Ollama's `deleteNode`). Conditions are not searched.
    static func cutAfterResponse(_ nodes: [TemplateNode], _ cut: inout Bool) -> [TemplateNode] {
        var kept: [TemplateNode] = []
        for node in nodes {
            if cut { break }
            switch node {
            case .action(let pipeline):
                kept.append(node)
                if pipeline.mentions(field: "Response") { cut = true }
            case .conditional(let branches, let otherwise):
                var pruned: [(TemplatePipeline, [TemplateNode])] = []
                for (condition, body) in branches {
                    pruned.append((condition, cut ? [] : cutAfterResponse(body, &cut)))
                }
                let rest = otherwise.map { cut ? [] : cutAfterResponse($0, &cut) }
                kept.append(.conditional(branches: pruned, otherwise: rest))
            case .range(let variables, let pipeline, let body, let otherwise):
                let prunedBody = cutAfterResponse(body, &cut)
                let rest = otherwise.map { cut ? [] : cutAfterResponse($0, &cut) }
                kept.append(.range(variables: variables, pipeline: pipeline, body: prunedBody, otherwise: rest))
            case .with(let pipeline, let body, let otherwise):
                let prunedBody = cutAfterResponse(body, &cut)
                let rest = otherwise.map { cut ? [] : cutAfterResponse($0, &cut) }
                kept.append(.with(pipeline: pipeline, body: prunedBody, otherwise: rest))
            case .text, .assign: kept.append(node)
            }
        }
        return kept
    }
}
