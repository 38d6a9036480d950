/// Timing statistics on the last object of a generation, durations in nanoseconds.
public struct GenerationStatistics: Codable, Sendable, Equatable {
    /// Wall time of the whole request.
    public var totalDuration: Int64
    /// Time spent loading the model (0 when it was already loaded).
    public var loadDuration: Int64
    /// Prompt tokens evaluated.
    public var promptEvalCount: Int
    /// Time evaluating the prompt.
    public var promptEvalDuration: Int64
    /// Tokens generated.
    public var evalCount: Int
    /// Time generating.
    public var evalDuration: Int64

    public init(
        totalDuration: Int64 = 0, loadDuration: Int64 = 0, promptEvalCount: Int = 0,
        promptEvalDuration: Int64 = 0, evalCount: Int = 0, evalDuration: Int64 = 0
    ) {
        self.totalDuration = totalDuration
        self.loadDuration = loadDuration
        self.promptEvalCount = promptEvalCount
        self.promptEvalDuration = promptEvalDuration
        self.evalCount = evalCount
        self.evalDuration = evalDuration
    }

    enum CodingKeys: String, CodingKey {
        case totalDuration = "total_duration"
        case loadDuration = "load_duration"
        case promptEvalCount = "prompt_eval_count"
        case promptEvalDuration = "prompt_eval_duration"
        case evalCount = "eval_count"
        case evalDuration = "eval_duration"
    }
}

/// One object of `/api/generate`'s answer (one per chunk when streaming).
public struct GenerateResponse: Codable, Sendable {
    /// The model name as requested.
    public var model: String
    /// RFC 3339 time of this object.
    public var createdAt: String
    /// Text generated since the previous object.
    public var response: String
    /// True on the last object.
    public var done: Bool
    /// Why generation stopped (`stop`, `length`, `load`, `unload`), last object only.
    public var doneReason: String?
    /// Statistics, last object only.
    public var statistics: GenerationStatistics?

    public init(
        model: String, createdAt: String, response: String, done: Bool, doneReason: String? = nil,
        statistics: GenerationStatistics? = nil
    ) {
        self.model = model
        self.createdAt = createdAt
        self.response = response
        self.done = done
        self.doneReason = doneReason
        self.statistics = statistics
    }

    enum CodingKeys: String, CodingKey {
        case model, response, done
        case createdAt = "created_at"
        case doneReason = "done_reason"
    }

    /// Reads an answer, as an Ollama client does (`OllamaClient`); the statistics come with the last object.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        model = try container.decode(String.self, forKey: .model)
        createdAt = try container.decodeIfPresent(String.self, forKey: .createdAt) ?? ""
        response = try container.decode(String.self, forKey: .response)
        done = try container.decode(Bool.self, forKey: .done)
        doneReason = try container.decodeIfPresent(String.self, forKey: .doneReason)
        statistics = done ? try? GenerationStatistics(from: decoder) : nil
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(model, forKey: .model)
        try container.encode(createdAt, forKey: .createdAt)
        try container.encode(response, forKey: .response)
        try container.encode(done, forKey: .done)
        try container.encodeIfPresent(doneReason, forKey: .doneReason)
        try statistics?.encode(to: encoder)
    }
}

/// One object of `/api/chat`'s answer (one per chunk when streaming).
public struct ChatResponse: Encodable, Sendable {
    /// The model name as requested.
    public var model: String
    /// RFC 3339 time of this object.
    public var createdAt: String
    /// The assistant's text since the previous object.
    public var message: Message
    /// True on the last object.
    public var done: Bool
    /// Why generation stopped (`stop`, `length`, `load`, `unload`), last object only.
    public var doneReason: String?
    /// Statistics, last object only.
    public var statistics: GenerationStatistics?

    public init(
        model: String, createdAt: String, message: Message, done: Bool, doneReason: String? = nil,
        statistics: GenerationStatistics? = nil
    ) {
        self.model = model
        self.createdAt = createdAt
        self.message = message
        self.done = done
        self.doneReason = doneReason
        self.statistics = statistics
    }

    enum CodingKeys: String, CodingKey {
        case model, message, done
        case createdAt = "created_at"
        case doneReason = "done_reason"
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(model, forKey: .model)
        try container.encode(createdAt, forKey: .createdAt)
        try container.encode(message, forKey: .message)
        try container.encode(done, forKey: .done)
        try container.encodeIfPresent(doneReason, forKey: .doneReason)
        try statistics?.encode(to: encoder)
    }
}

/// `/api/embed`'s answer.
public struct EmbedResponse: Codable, Sendable {
    /// The model name as requested.
    public var model: String
    /// One L2-normalised vector per input, in input order.
    public var embeddings: [[Float]]
    /// Wall time of the request in nanoseconds.
    public var totalDuration: Int64
    /// Model load time in nanoseconds.
    public var loadDuration: Int64
    /// Tokens evaluated over all inputs.
    public var promptEvalCount: Int

    public init(model: String, embeddings: [[Float]], totalDuration: Int64, loadDuration: Int64, promptEvalCount: Int) {
        self.model = model
        self.embeddings = embeddings
        self.totalDuration = totalDuration
        self.loadDuration = loadDuration
        self.promptEvalCount = promptEvalCount
    }

    enum CodingKeys: String, CodingKey {
        case model, embeddings
        case totalDuration = "total_duration"
        case loadDuration = "load_duration"
        case promptEvalCount = "prompt_eval_count"
    }
}

/// `/api/embeddings`' (legacy) answer.
public struct EmbeddingResponse: Codable, Sendable {
    /// The vector (not normalised, as in Ollama's legacy endpoint).
    public var embedding: [Float]

    public init(embedding: [Float]) {
        self.embedding = embedding
    }
}

/// A model's family, format and size, as `/api/tags`, `/api/ps` and `/api/show` report them.
public struct ModelDetails: Codable, Sendable, Equatable {
    /// The model this one was derived from; empty for base models.
    public var parentModel: String
    /// File format: `gguf`.
    public var format: String
    /// Main architecture, e.g. `llama`, `gemma3`, `bert`.
    public var family: String
    /// Every architecture family.
    public var families: [String]?
    /// Human-readable parameter count, e.g. `134.52M`.
    public var parameterSize: String
    /// Quantisation, e.g. `Q4_1`.
    public var quantizationLevel: String

    public init(
        parentModel: String = "", format: String = "gguf", family: String, families: [String]?,
        parameterSize: String, quantizationLevel: String
    ) {
        self.parentModel = parentModel
        self.format = format
        self.family = family
        self.families = families
        self.parameterSize = parameterSize
        self.quantizationLevel = quantizationLevel
    }

    enum CodingKeys: String, CodingKey {
        case format, family, families
        case parentModel = "parent_model"
        case parameterSize = "parameter_size"
        case quantizationLevel = "quantization_level"
    }
}

/// One model in `/api/tags`.
public struct ListedModel: Codable, Sendable {
    /// Display name, e.g. `smollm2:135m`.
    public var name: String
    /// Same as `name`.
    public var model: String
    /// RFC 3339 time the manifest was written.
    public var modifiedAt: String
    /// Total size of the model's blobs in bytes.
    public var size: Int64
    /// sha256 (hex) of the manifest.
    public var digest: String
    /// Format and size details.
    public var details: ModelDetails
    /// What the model can do, as in `/api/show` (a Cakap addition here, so a client can offer only
    /// chat models without asking for each one); nil when not computed.
    public var capabilities: [String]?

    public init(
        name: String, modifiedAt: String, size: Int64, digest: String, details: ModelDetails,
        capabilities: [String]? = nil
    ) {
        self.name = name
        self.model = name
        self.modifiedAt = modifiedAt
        self.size = size
        self.digest = digest
        self.details = details
        self.capabilities = capabilities
    }

    enum CodingKeys: String, CodingKey {
        case name, model, size, digest, details, capabilities
        case modifiedAt = "modified_at"
    }
}

/// `/api/tags`' answer.
public struct ListResponse: Codable, Sendable {
    /// Every model in the store, newest first.
    public var models: [ListedModel]

    public init(models: [ListedModel]) {
        self.models = models
    }
}

/// One loaded model in `/api/ps`.
public struct RunningModel: Codable, Sendable {
    /// Display name.
    public var name: String
    /// Same as `name`.
    public var model: String
    /// Size of the model file in bytes.
    public var size: Int64
    /// sha256 (hex) of the manifest.
    public var digest: String
    /// Format and size details.
    public var details: ModelDetails
    /// RFC 3339 time it will be unloaded if idle.
    public var expiresAt: String
    /// Bytes in GPU memory: always 0 here (CPU inference).
    public var sizeVram: Int64
    /// The context window it was loaded with, per request.
    public var contextLength: Int

    public init(
        name: String, size: Int64, digest: String, details: ModelDetails, expiresAt: String, contextLength: Int
    ) {
        self.name = name
        self.model = name
        self.size = size
        self.digest = digest
        self.details = details
        self.expiresAt = expiresAt
        self.sizeVram = 0
        self.contextLength = contextLength
    }

    enum CodingKeys: String, CodingKey {
        case name, model, size, digest, details
        case expiresAt = "expires_at"
        case sizeVram = "size_vram"
        case contextLength = "context_length"
    }
}

/// `/api/ps`' answer.
public struct ProcessResponse: Codable, Sendable {
    /// The loaded models.
    public var models: [RunningModel]

    public init(models: [RunningModel]) {
        self.models = models
    }
}

/// `/api/show`'s answer.
public struct ShowResponse: Codable, Sendable {
    /// A Modelfile that would recreate the model.
    public var modelfile: String
    /// Default parameters, one `name value` per line.
    public var parameters: String
    /// The chat template in use: the manifest's Go template layer, else the GGUF's Jinja
    /// template, else the family default; `{{ .Prompt }}` for a model without a chat format.
    public var template: String
    /// Format and size details.
    public var details: ModelDetails
    /// GGUF metadata (`general.architecture`, `<arch>.context_length`, …).
    public var modelInfo: [String: JSONValue]
    /// What the model can do: `completion` (plus `chat`, a Cakap addition, when it has a chat
    /// format), or `embedding`.
    public var capabilities: [String]
    /// RFC 3339 time the manifest was written.
    public var modifiedAt: String

    public init(
        modelfile: String, parameters: String, template: String, details: ModelDetails,
        modelInfo: [String: JSONValue], capabilities: [String], modifiedAt: String
    ) {
        self.modelfile = modelfile
        self.parameters = parameters
        self.template = template
        self.details = details
        self.modelInfo = modelInfo
        self.capabilities = capabilities
        self.modifiedAt = modifiedAt
    }

    enum CodingKeys: String, CodingKey {
        case modelfile, parameters, template, details, capabilities
        case modelInfo = "model_info"
        case modifiedAt = "modified_at"
    }
}

/// A progress object of `/api/pull` (and the final `{"status": "success"}`).
public struct ProgressResponse: Codable, Sendable, Equatable {
    /// What is happening: `pulling manifest`, `pulling <digest>`, `verifying sha256 digest`, …
    public var status: String
    /// The blob being fetched, as `sha256:<hex>`.
    public var digest: String?
    /// The blob's size in bytes.
    public var total: Int64?
    /// Bytes of the blob present so far.
    public var completed: Int64?

    public init(status: String, digest: String? = nil, total: Int64? = nil, completed: Int64? = nil) {
        self.status = status
        self.digest = digest
        self.total = total
        self.completed = completed
    }
}

/// `/api/version`'s answer.
public struct VersionResponse: Codable, Sendable {
    /// The Ollama API version this worker follows, e.g. `0.6.3`.
    public var version: String

    public init(version: String) {
        self.version = version
    }
}

/// Every error body: `{"error": "..."}`.
public struct ErrorResponse: Codable, Sendable, Equatable {
    /// What went wrong, for a person.
    public var error: String

    public init(error: String) {
        self.error = error
    }
}
