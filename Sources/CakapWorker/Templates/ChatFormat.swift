import GGUF
import ModelStore
import OllamaAPI

/// How the worker turns a model's messages into a prompt, chosen in Ollama's order (issue 17):
/// the manifest's template layer, else the GGUF's own Jinja template (applied by llama-server),
/// else a family default picked from `general.architecture` — but only for a model whose
/// metadata says it was tuned to chat. A base model gets none: it is offered for completion only
/// (`/api/chat` answers 400 "<model> does not support chat", as Ollama does).
enum ChatFormat: Sendable {
    /// The template layer of the manifest, rendered here.
    case layer(PromptTemplate)
    /// The GGUF's Jinja template, rendered by llama-server's `/apply-template`.
    case embedded(String)
    /// Cakap's default for the model's family, rendered here, with its stop words.
    case family(PromptTemplate, stop: [String])
    /// No chat format: a base or completion-only model.
    case none

    /// Whether the model can serve `/api/chat`.
    var supportsChat: Bool {
        if case .none = self { return false }
        return true
    }

    /// The template text `/api/show` returns.
    var templateText: String {
        switch self {
        case .layer(let template), .family(let template, _): template.source
        case .embedded(let jinja): jinja
        case .none: "{{ .Prompt }}"
        }
    }

    /// Chooses the format for `model`. A template layer that cannot be parsed is an error, never
    /// a silent fallback to a different format.
    static func of(_ model: StoredModel, header: GGUFFile?) throws -> ChatFormat {
        if let layer = model.template, !layer.isEmpty {
            do {
                return .layer(try PromptTemplate(layer))
            } catch let error as TemplateError {
                throw WorkerError(.internalServerError, "the template of \(model.name.displayName): \(error)")
            }
        }
        if let jinja = header?.chatTemplate, !jinja.isEmpty { return .embedded(jinja) }
        guard let header, isTunedForChat(header), let family = FamilyTemplate.for(header.architecture),
            let template = try? PromptTemplate(family.template)
        else { return .none }
        return .family(template, stop: family.stop)
    }

    /// Whether the GGUF's own name says instruction- or chat-tuned (`general.finetune`, `general.name`:
    /// "Instruct", "it", "chat"…). Base checkpoints such as gemma-3-270m say none of these.
    static func isTunedForChat(_ header: GGUFFile) -> Bool {
        let names = ["general.finetune", "general.name", "general.basename", "general.type"]
            .compactMap { header.metadata[$0]?.stringValue?.lowercased() }
        let words = names.flatMap { $0.split { !$0.isLetter && !$0.isNumber } }
        return words.contains { ["it", "instruct", "chat", "sft", "dpo", "rlhf"].contains(String($0)) }
    }
}

/// The chat format used for a family when a tuned model carries no template: Ollama's library
/// templates for that family (ollama/ollama `template/*.gotmpl`, typed out) and their stop words
/// (the `.json` beside each).
struct FamilyTemplate: Sendable {
    var template: String
    var stop: [String]

    static func `for`(_ architecture: String) -> FamilyTemplate? {
        switch architecture {
        case "llama": llama3
        case "gemma", "gemma2": gemma
        case "gemma3": gemma3
        case "phi3": phi3
        case "qwen2", "qwen3": chatML
        default: nil
        }
    }

    /// `template/llama3-instruct.gotmpl`.
    static let llama3 = FamilyTemplate(
        template: """
            {{- if .System }}<|start_header_id|>system<|end_header_id|>

            {{ .System }}<|eot_id|>
            {{- end }}
            {{- range .Messages }}{{ if ne .Role "system" }}<|start_header_id|>{{ .Role }}<|end_header_id|>

            {{ .Content }}<|eot_id|>{{ end }}
            {{- end }}<|start_header_id|>assistant<|end_header_id|>


            """, stop: ["<|start_header_id|>", "<|end_header_id|>", "<|eot_id|>"])

    /// `template/gemma-instruct.gotmpl`.
    static let gemma = FamilyTemplate(
        template: """
            <start_of_turn>user
            {{ if .System }}{{ .System }} {{ end }}{{ .Prompt }}<end_of_turn>
            <start_of_turn>model
            {{ .Response }}<end_of_turn>

            """, stop: ["<start_of_turn>", "<end_of_turn>"])

    /// `template/gemma3-instruct.gotmpl`.
    static let gemma3 = FamilyTemplate(
        template: """
            {{- $system := .System }}
            {{- range $i, $_ := .Messages }}
            {{- $last := eq (len (slice $.Messages $i)) 1 }}
            {{- if eq .Role "user" }}<start_of_turn>user
            {{- if and (eq $i 1) $system }}
            {{ $system }}
            {{- end }}
            {{ .Content }}<end_of_turn>
            {{ else if eq .Role "assistant" }}<start_of_turn>model
            {{ .Content }}<end_of_turn>
            {{ end }}
            {{- if $last }}<start_of_turn>model
            {{ end }}
            {{- end }}

            """, stop: ["<end_of_turn>"])

    /// `template/phi-3.gotmpl`.
    static let phi3 = FamilyTemplate(
        template: """
            {{ if .System }}<|system|>
            {{ .System }}<|end|>
            {{ end }}{{ if .Prompt }}<|user|>
            {{ .Prompt }}<|end|>
            {{ end }}<|assistant|>
            {{ .Response }}<|end|>
            """, stop: ["<|end|>", "<|user|>", "<|assistant|>"])

    /// `template/chatml.gotmpl`.
    static let chatML = FamilyTemplate(
        template: """
            {{ if .System }}<|im_start|>system
            {{ .System }}<|im_end|>
            {{ end }}{{ if .Prompt }}<|im_start|>user
            {{ .Prompt }}<|im_end|>
            {{ end }}<|im_start|>assistant
            {{ .Response }}<|im_end|>
            """, stop: ["<|im_start|>", "<|im_end|>"])
}
