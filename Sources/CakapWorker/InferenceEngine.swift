import OllamaAPI

/// A loaded model that can complete prompts and embed texts: the seam between the worker's HTTP
/// layer and `llama-server` (unit tests use `FakeEngine`).
public protocol InferenceEngine: Sendable {
    /// The model's own chat template applied to the messages, ending with the assistant's turn.
    func applyChatTemplate(_ messages: [Message]) async throws -> String

    /// Generates a completion, token pieces first and a summary last. Dropping the stream cancels
    /// the generation.
    func complete(_ request: CompletionRequest) async throws -> AsyncThrowingStream<CompletionEvent, any Error>

    /// One vector per text, in order, and the number of tokens evaluated.
    func embed(_ texts: [String], normalize: Bool) async throws -> EmbeddingResult

    /// The number of tokens a (templated) prompt takes in this engine's model.
    func countTokens(_ text: String) async throws -> Int
}

/// A running engine process: an engine that can also be stopped and watched.
public protocol RunningEngine: InferenceEngine {
    /// A process id or other short identity, for logs and `/health/ready`.
    var identity: String { get }
    /// True once the engine's process has ended, even before `waitForExit` returns.
    var hasExited: Bool { get }
    /// Stops the engine: gently first, forcibly after `gracePeriod`.
    func stop(gracePeriod: Duration) async
    /// Returns when the engine has exited, for whatever reason.
    func waitForExit() async
}

/// Starts engines; the worker has one launcher (`LlamaServerLauncher`, or a fake in unit tests).
public protocol EngineLauncher: Sendable {
    /// Starts an engine for `specification` and returns once it is ready to serve.
    func launch(_ specification: EngineSpecification) async throws -> any RunningEngine
}

/// What to start.
public struct EngineSpecification: Sendable, Hashable {
    /// The GGUF file.
    public var modelPath: String
    /// A short name for logs, e.g. `smollm2:135m`.
    public var displayName: String
    /// Context window per request (the engine gets `contextLength × parallel`).
    public var contextLength: Int
    /// Parallel slots.
    public var parallel: Int
    /// CPU threads.
    public var threads: Int
    /// Start in embedding mode.
    public var embedding: Bool
}

/// A completion to generate.
public struct CompletionRequest: Sendable {
    /// The full prompt (already templated unless raw).
    public var prompt: String
    /// Sampling options.
    public var options: ModelOptions
    /// Optional grammar constraint.
    public var format: ResponseFormat?

    public init(prompt: String, options: ModelOptions, format: ResponseFormat? = nil) {
        self.prompt = prompt
        self.options = options
        self.format = format
    }
}

/// One event of a completion stream.
public enum CompletionEvent: Sendable, Equatable {
    /// A piece of generated text.
    case token(String)
    /// The end, with counts and timings.
    case done(CompletionSummary)
}

/// Counts and timings at the end of a completion.
public struct CompletionSummary: Sendable, Equatable {
    /// Prompt tokens evaluated.
    public var promptTokens: Int
    /// Time evaluating the prompt.
    public var promptDuration: Duration
    /// Tokens generated.
    public var generatedTokens: Int
    /// Time generating.
    public var generationDuration: Duration
    /// `stop` (end of text or a stop string) or `length` (num_predict or context reached).
    public var reason: String

    public init(
        promptTokens: Int, promptDuration: Duration, generatedTokens: Int, generationDuration: Duration, reason: String
    ) {
        self.promptTokens = promptTokens
        self.promptDuration = promptDuration
        self.generatedTokens = generatedTokens
        self.generationDuration = generationDuration
        self.reason = reason
    }
}

/// Vectors and how many tokens they took.
public struct EmbeddingResult: Sendable {
    public var vectors: [[Float]]
    public var promptTokens: Int

    public init(vectors: [[Float]], promptTokens: Int) {
        self.vectors = vectors
        self.promptTokens = promptTokens
    }
}
