/// One chat message.
public struct Message: Codable, Sendable, Equatable {
    /// `system`, `user`, `assistant` (or `tool`).
    public var role: String
    /// The text of the message.
    public var content: String
    /// Base64 images (accepted, not supported by the text models we serve).
    public var images: [String]?

    public init(role: String, content: String) {
        self.role = role
        self.content = content
    }
}

/// `POST /api/generate`: complete a prompt.
public struct GenerateRequest: Codable, Sendable {
    /// Model name, e.g. `smollm2:135m`. Required.
    public var model: String
    /// The prompt; empty or absent only loads the model.
    public var prompt: String?
    /// System prompt, placed before the prompt by the model's chat template.
    public var system: String?
    /// `true` sends the prompt to the model as is, without the chat template. Default false.
    public var raw: Bool?
    /// Stream NDJSON objects as tokens arrive. Default true.
    public var stream: Bool?
    /// `"json"` or a JSON schema: grammar-constrained output.
    public var format: ResponseFormat?
    /// Runtime options.
    public var options: ModelOptions?
    /// How long the model stays loaded afterwards. Default 5m.
    public var keepAlive: KeepAlive?

    public init(
        model: String, prompt: String? = nil, system: String? = nil, raw: Bool? = nil, stream: Bool? = nil,
        format: ResponseFormat? = nil, options: ModelOptions? = nil, keepAlive: KeepAlive? = nil
    ) {
        self.model = model
        self.prompt = prompt
        self.system = system
        self.raw = raw
        self.stream = stream
        self.format = format
        self.options = options
        self.keepAlive = keepAlive
    }

    enum CodingKeys: String, CodingKey {
        case model, prompt, system, raw, stream, format, options
        case keepAlive = "keep_alive"
    }
}

/// `POST /api/chat`: the next assistant message of a conversation.
public struct ChatRequest: Codable, Sendable {
    /// Model name. Required.
    public var model: String
    /// The conversation so far; empty or absent only loads the model.
    public var messages: [Message]?
    /// Stream NDJSON objects as tokens arrive. Default true.
    public var stream: Bool?
    /// `"json"` or a JSON schema: grammar-constrained output.
    public var format: ResponseFormat?
    /// Runtime options.
    public var options: ModelOptions?
    /// How long the model stays loaded afterwards. Default 5m.
    public var keepAlive: KeepAlive?

    enum CodingKeys: String, CodingKey {
        case model, messages, stream, format, options
        case keepAlive = "keep_alive"
    }
}

/// The `input` of `/api/embed`: one text or a list.
public enum EmbedInput: Codable, Sendable, Equatable {
    case one(String)
    case many([String])

    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if let one = try? container.decode(String.self) {
            self = .one(one)
        } else {
            self = .many(try container.decode([String].self))
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        switch self {
        case .one(let text): try container.encode(text)
        case .many(let texts): try container.encode(texts)
        }
    }

    /// The texts, as a list.
    public var texts: [String] {
        switch self {
        case .one(let text): [text]
        case .many(let texts): texts
        }
    }
}

/// `POST /api/embed`: embeddings of one or more texts (L2-normalised).
public struct EmbedRequest: Codable, Sendable {
    /// Model name. Required.
    public var model: String
    /// A text or a list of texts. Required.
    public var input: EmbedInput?
    /// Truncate inputs longer than the context instead of failing. Default true.
    public var truncate: Bool?
    /// Runtime options.
    public var options: ModelOptions?
    /// How long the model stays loaded afterwards. Default 5m.
    public var keepAlive: KeepAlive?

    public init(
        model: String, input: EmbedInput? = nil, truncate: Bool? = nil, options: ModelOptions? = nil,
        keepAlive: KeepAlive? = nil
    ) {
        self.model = model
        self.input = input
        self.truncate = truncate
        self.options = options
        self.keepAlive = keepAlive
    }

    enum CodingKeys: String, CodingKey {
        case model, input, truncate, options
        case keepAlive = "keep_alive"
    }
}

/// `POST /api/embeddings` (legacy): the embedding of one prompt.
public struct EmbeddingsRequest: Codable, Sendable {
    /// Model name. Required.
    public var model: String
    /// The text to embed.
    public var prompt: String?
    /// Runtime options.
    public var options: ModelOptions?
    /// How long the model stays loaded afterwards. Default 5m.
    public var keepAlive: KeepAlive?

    enum CodingKeys: String, CodingKey {
        case model, prompt, options
        case keepAlive = "keep_alive"
    }
}

/// `POST /api/pull`: fetch a model from a registry.
public struct PullRequest: Codable, Sendable {
    /// Model name (`name` is the older spelling of the same field).
    public var model: String?
    /// Older spelling of `model`.
    public var name: String?
    /// Allow a plain-HTTP registry. Default false.
    public var insecure: Bool?
    /// Stream progress objects. Default true.
    public var stream: Bool?
}

/// `DELETE /api/delete` and `POST /api/show`: name one model.
public struct ModelReference: Codable, Sendable {
    /// Model name (`name` is the older spelling).
    public var model: String?
    /// Older spelling of `model`.
    public var name: String?
    /// `/api/show` only: include large metadata arrays. Default false.
    public var verbose: Bool?
}

/// `POST /api/copy`: give a model a second name.
public struct CopyRequest: Codable, Sendable {
    /// Existing model name.
    public var source: String
    /// New name.
    public var destination: String
}
