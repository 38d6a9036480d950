/// Runtime options of a generation (`options` in `/api/generate`, `/api/chat`, `/api/embed`).
/// Every field is optional; an absent field means the engine's default, as in Ollama.
public struct ModelOptions: Codable, Sendable, Equatable {
    /// Sampling temperature; Ollama's default 0.8. 0 makes the output greedy.
    public var temperature: Double?
    /// Nucleus sampling threshold; default 0.9.
    public var topP: Double?
    /// Sample only from the k most likely tokens; default 40.
    public var topK: Int?
    /// Random seed; the same seed and prompt give the same output.
    public var seed: Int?
    /// The most tokens to generate; default -1 (until the model stops or the context is full).
    public var numPredict: Int?
    /// Strings that end generation when produced (not included in the output).
    public var stop: [String]?
    /// Context window per request in tokens; default 4096. A different value loads a separate engine.
    public var numCtx: Int?
    /// Penalty for repeating recent tokens; default 1.1.
    public var repeatPenalty: Double?
    /// Minimum probability relative to the most likely token; default 0.0.
    public var minP: Double?
    /// How many recent tokens the repeat penalty looks at; default 64.
    public var repeatLastN: Int?
    /// Presence penalty (OpenAI style); default 0.
    public var presencePenalty: Double?
    /// Frequency penalty (OpenAI style); default 0.
    public var frequencyPenalty: Double?

    public init(
        temperature: Double? = nil, topP: Double? = nil, topK: Int? = nil, seed: Int? = nil,
        numPredict: Int? = nil, stop: [String]? = nil, numCtx: Int? = nil, repeatPenalty: Double? = nil
    ) {
        self.temperature = temperature
        self.topP = topP
        self.topK = topK
        self.seed = seed
        self.numPredict = numPredict
        self.stop = stop
        self.numCtx = numCtx
        self.repeatPenalty = repeatPenalty
    }

    enum CodingKeys: String, CodingKey {
        case temperature, seed, stop
        case topP = "top_p"
        case topK = "top_k"
        case numPredict = "num_predict"
        case numCtx = "num_ctx"
        case repeatPenalty = "repeat_penalty"
        case minP = "min_p"
        case repeatLastN = "repeat_last_n"
        case presencePenalty = "presence_penalty"
        case frequencyPenalty = "frequency_penalty"
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        temperature = try container.decodeIfPresent(Double.self, forKey: .temperature)
        topP = try container.decodeIfPresent(Double.self, forKey: .topP)
        topK = try container.decodeIfPresent(Int.self, forKey: .topK)
        seed = try container.decodeIfPresent(Int.self, forKey: .seed)
        numPredict = try container.decodeIfPresent(Int.self, forKey: .numPredict)
        // Ollama accepts `stop` as one string or a list.
        if let one = try? container.decodeIfPresent(String.self, forKey: .stop) {
            stop = [one]
        } else {
            stop = try container.decodeIfPresent([String].self, forKey: .stop)
        }
        numCtx = try container.decodeIfPresent(Int.self, forKey: .numCtx)
        repeatPenalty = try container.decodeIfPresent(Double.self, forKey: .repeatPenalty)
        minP = try container.decodeIfPresent(Double.self, forKey: .minP)
        repeatLastN = try container.decodeIfPresent(Int.self, forKey: .repeatLastN)
        presencePenalty = try container.decodeIfPresent(Double.self, forKey: .presencePenalty)
        frequencyPenalty = try container.decodeIfPresent(Double.self, forKey: .frequencyPenalty)
    }
}

/// The requested output format: `"json"` (any JSON object) or a JSON schema.
public enum ResponseFormat: Codable, Sendable, Equatable {
    /// Any valid JSON.
    case json
    /// JSON matching this schema.
    case schema(JSONValue)

    public init(from decoder: any Decoder) throws {
        let value = try JSONValue(from: decoder)
        switch value {
        case .string("json"): self = .json
        case .object: self = .schema(value)
        default:
            throw DecodingError.dataCorrupted(
                .init(
                    codingPath: decoder.codingPath,
                    debugDescription: "format must be \"json\" or a JSON schema object"))
        }
    }

    public func encode(to encoder: any Encoder) throws {
        switch self {
        case .json: try JSONValue.string("json").encode(to: encoder)
        case .schema(let schema): try schema.encode(to: encoder)
        }
    }
}
