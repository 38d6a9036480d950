import Foundation
import OllamaAPI
import Testing

@testable import CakapWorker

/// The Go-template renderer against the templates of Ollama's library models (issue 17, R-LLM-4):
/// the prompt must be the one Ollama builds, or a model pulled on AWS talks to itself.
@Suite struct PromptTemplateTests {
    /// Ollama's own test conversation (ollama/ollama `template/template_test.go`).
    static let conversation = [
        Message(role: "system", content: "You are a helpful assistant."),
        Message(role: "user", content: "Hello, how are you?"),
        Message(role: "assistant", content: "I'm doing great. How can I help you today?"),
        Message(role: "user", content: "I'd like to show off how chat templating works!"),
    ]

    /// tests/support/ollama-library/<model>/template, shared with the integration tier.
    static func library(_ model: String) throws -> String {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent()
        return try String(
            contentsOf: root.appendingPathComponent("tests/support/ollama-library/\(model)/template"), encoding: .utf8)
    }

    static let expected: [String: String] = [
        "llama3": "<|start_header_id|>system<|end_header_id|>\n\nYou are a helpful assistant.<|eot_id|>"
            + "<|start_header_id|>user<|end_header_id|>\n\nHello, how are you?<|eot_id|>"
            + "<|start_header_id|>assistant<|end_header_id|>\n\nI'm doing great. How can I help you today?<|eot_id|>"
            + "<|start_header_id|>user<|end_header_id|>\n\nI'd like to show off how chat templating works!<|eot_id|>"
            + "<|start_header_id|>assistant<|end_header_id|>\n\n",
        "orca-mini": "\n### System:\nYou are a helpful assistant.\n\n### User:\nHello, how are you?\n\n### Response:\n"
            + "I'm doing great. How can I help you today?"
            + "\n\n### User:\nI'd like to show off how chat templating works!\n\n### Response:\n",
        "llama2": "[INST] <<SYS>>You are a helpful assistant.<</SYS>>\n\nHello, how are you? [/INST]\n"
            + "I'm doing great. How can I help you today?"
            + "[INST] <<SYS>><</SYS>>\n\nI'd like to show off how chat templating works! [/INST]\n",
        "gemma": "<start_of_turn>user\nYou are a helpful assistant. Hello, how are you?<end_of_turn>\n"
            + "<start_of_turn>model\nI'm doing great. How can I help you today?<end_of_turn>\n"
            + "<start_of_turn>user\nI'd like to show off how chat templating works!<end_of_turn>\n<start_of_turn>model\n",
        "phi3": "<|system|>\nYou are a helpful assistant.<|end|>\n<|user|>\nHello, how are you?<|end|>\n"
            + "<|assistant|>\nI'm doing great. How can I help you today?<|end|>"
            + "<|user|>\nI'd like to show off how chat templating works!<|end|>\n<|assistant|>\n",
    ]

    @Test(arguments: ["llama3", "orca-mini", "llama2", "gemma", "phi3"])
    func libraryTemplatesRenderAsOllamaDoes(model: String) throws {
        let template = try PromptTemplate(try Self.library(model))
        #expect(try template.render(Self.conversation) == Self.expected[model])
    }

    @Test func oneUserMessageEndsAtTheAssistantTurn() throws {
        let template = try PromptTemplate(try Self.library("llama3"))
        let prompt = try template.render([Message(role: "user", content: "Hi")])
        #expect(
            prompt
                == "<|start_header_id|>user<|end_header_id|>\n\nHi<|eot_id|><|start_header_id|>assistant<|end_header_id|>\n\n"
        )
    }

    @Test func messagesTemplateWithVariablesSliceAndLen() throws {
        let template = try PromptTemplate(FamilyTemplate.gemma3.template)
        let expected =
            "<start_of_turn>user\nYou are a helpful assistant.\nHello, how are you?<end_of_turn>\n"
            + "<start_of_turn>model\nI'm doing great. How can I help you today?<end_of_turn>\n"
            + "<start_of_turn>user\nI'd like to show off how chat templating works!<end_of_turn>\n<start_of_turn>model\n\n"
        #expect(try template.render(Self.conversation) == expected)
    }

    @Test func familyLlama3NamesTheSystemOnce() throws {
        let prompt = try PromptTemplate(FamilyTemplate.llama3.template).render(Self.conversation)
        #expect(prompt == Self.expected["llama3"])
    }

    @Test func trimMarkersElseIfAndRange() throws {
        let template = try GoTemplate(
            parsing: """
                {{- range $i, $m := .Messages }}
                {{- if eq .Role "user" }}U{{ $i }}:{{ .Content }}
                {{- else if eq $m.Role "assistant" }}A:{{ .Content }}
                {{- else }}?{{ end }} |
                {{- end -}}
                  {{ len .Messages }}{{ if and .X (not .Y) }}yes{{ else }}no{{ end }}
                """)
        let data: TemplateValue = .map([
            "Messages": .list([
                .map(["Role": .string("user"), "Content": .string("hi")]),
                .map(["Role": .string("assistant"), "Content": .string("yo")]),
                .map(["Role": .string("tool"), "Content": .string("t")]),
            ]),
            "X": .string("x"),
        ])
        #expect(try template.render(data) == "U0:hi |A:yo |? |3yes")
    }

    @Test func collateMergesConsecutiveRoles() {
        let (system, messages) = PromptTemplate.collate([
            Message(role: "system", content: "a"), Message(role: "user", content: "one"),
            Message(role: "user", content: "two"),
        ])
        #expect(system == "a")
        #expect(messages.map(\.content) == ["a", "one\n\ntwo"])
    }

    @Test(arguments: [
        "{{ define \"x\" }}{{ end }}", "{{ .Prompt ", "{{ if .X }}no end", "{{ printf \"%s\" .X }}", "{{ .X | }}",
    ])
    func constructsOutsideTheSubsetAreErrors(source: String) {
        #expect(throws: TemplateError.self) { try GoTemplate(parsing: source).render(.map([:])) }
    }

    @Test func aTemplateWithoutResponseGetsOneAppended() throws {
        let template = try PromptTemplate("Q: {{ .Prompt }}\nA: ")
        let prompt = try template.render([
            Message(role: "user", content: "1"), Message(role: "assistant", content: "2"),
            Message(role: "user", content: "3"),
        ])
        #expect(prompt == "Q: 1\nA: 2Q: 3\nA: ")
    }
}
