import Foundation
import OllamaAPI

/// An engine without a model, for unit tests of the worker and of anything built on it: it
/// "generates" a fixed reply word by word, embeds by hashing, and can be told to crash or to fail
/// to start. Integration tests use the real `llama-server` instead.
public final class FakeEngineLauncher: EngineLauncher, @unchecked Sendable {
    private let lock = NSLock()
    private var _launches = 0
    private var _engines: [FakeEngine] = []
    /// The words every completion produces.
    public let reply: [String]
    /// Time per generated word.
    public let tokenDelay: Duration
    /// When set, the first engine dies after producing this many tokens of a completion.
    public var crashFirstEngineAfterTokens: Int? {
        get { lock.withLock { _crashAfter } }
        set { lock.withLock { _crashAfter = newValue } }
    }
    private var _crashAfter: Int?
    /// When set, every launch fails with this reason.
    public var failure: String? {
        get { lock.withLock { _failure } }
        set { lock.withLock { _failure = newValue } }
    }
    private var _failure: String?

    public init(reply: [String] = ["Hello", " there", ",", " friend", "!"], tokenDelay: Duration = .zero) {
        self.reply = reply
        self.tokenDelay = tokenDelay
    }

    /// How many engines were started.
    public var launches: Int { lock.withLock { _launches } }
    /// Every engine started, oldest first.
    public var engines: [FakeEngine] { lock.withLock { _engines } }

    public func launch(_ specification: EngineSpecification) async throws -> any RunningEngine {
        let failure: String? = lock.withLock {
            _launches += 1
            return _failure
        }
        if let failure { throw EngineError.failedToStart(failure) }
        let engine = FakeEngine(specification: specification, reply: reply, tokenDelay: tokenDelay)
        lock.withLock {
            if _engines.isEmpty { engine.crashAfterTokens = _crashAfter }
            _engines.append(engine)
        }
        return engine
    }
}

/// One fake engine process.
public final class FakeEngine: RunningEngine, @unchecked Sendable {
    public let specification: EngineSpecification
    let reply: [String]
    let tokenDelay: Duration
    private let lock = NSLock()
    private var exited = false
    /// Whether `waitForExit` has returned: a real exit is heard a little after the process dies.
    private var exitHeard = false
    private var exitWaiters: [CheckedContinuation<Void, Never>] = []
    private static let counter = NSLock()
    nonisolated(unsafe) private static var nextIdentity = 0
    public let identity: String
    /// Dies after producing this many tokens (see `FakeEngineLauncher.crashFirstEngineAfterTokens`).
    var crashAfterTokens: Int? {
        get { lock.withLock { _crashAfterTokens } }
        set { lock.withLock { _crashAfterTokens = newValue } }
    }
    private var _crashAfterTokens: Int?

    init(specification: EngineSpecification, reply: [String], tokenDelay: Duration) {
        self.specification = specification
        self.reply = reply
        self.tokenDelay = tokenDelay
        identity = Self.counter.withLock {
            Self.nextIdentity += 1
            return "fake \(Self.nextIdentity)"
        }
    }

    /// True once stopped or crashed.
    public var hasExited: Bool { lock.withLock { exited } }

    /// Simulates the process dying: running generations fail, watchers are told.
    public func crash() {
        markExited()
    }

    /// Simulates the process dying with its watchers told only after `delay`, as with a real one:
    /// the kernel closes a dead process's sockets before its parent's `waitpid` returns.
    public func crash(watchersToldAfter delay: Duration) {
        lock.withLock { exited = true }
        Task {
            try? await Task.sleep(for: delay)
            self.markExited()
        }
    }

    private func markExited() {
        let waiters = lock.withLock {
            exited = true
            exitHeard = true
            defer { exitWaiters = [] }
            return exitWaiters
        }
        waiters.forEach { $0.resume() }
    }

    public func applyChatTemplate(_ messages: [Message]) async throws -> String {
        messages.map { "<\($0.role)>\($0.content)" }.joined() + "<assistant>"
    }

    /// The prompts of every completion asked of this engine, oldest first.
    public var prompts: [String] { lock.withLock { _prompts } }
    private var _prompts: [String] = []

    /// A token per space-separated word, as `complete` counts the prompt.
    public func countTokens(_ text: String) async throws -> Int {
        text.split(separator: " ").count
    }

    public func complete(_ request: CompletionRequest) async throws -> AsyncThrowingStream<CompletionEvent, any Error> {
        guard !hasExited else { throw EngineError.failed("engine has exited") }
        lock.withLock { _prompts.append(request.prompt) }
        let limit = request.options.numPredict.map { $0 < 0 ? Int.max : $0 } ?? Int.max
        let words = Array(reply.prefix(limit))
        let promptTokens = request.prompt.split(separator: " ").count
        return AsyncThrowingStream { continuation in
            let task = Task {
                for (index, word) in words.enumerated() {
                    if tokenDelay > .zero { try? await Task.sleep(for: tokenDelay) }
                    if let limit = self.crashAfterTokens, index >= limit { self.crash() }
                    if self.hasExited {
                        continuation.finish(throwing: EngineError.failed("llama-server ended the stream early"))
                        return
                    }
                    if Task.isCancelled { return }
                    continuation.yield(.token(word))
                }
                continuation.yield(
                    .done(
                        CompletionSummary(
                            promptTokens: promptTokens, promptDuration: .milliseconds(1), generatedTokens: words.count,
                            generationDuration: .milliseconds(2), reason: words.count < reply.count ? "length" : "stop")
                    ))
                continuation.finish()
            }
            continuation.onTermination = { _ in task.cancel() }
        }
    }

    public func embed(_ texts: [String], normalize: Bool) async throws -> EmbeddingResult {
        let dimensions = 8
        let vectors = texts.map { text -> [Float] in
            var vector = [Float](repeating: 0, count: dimensions)
            for (index, byte) in text.utf8.enumerated() { vector[index % dimensions] += Float(byte) }
            let norm = vector.reduce(0) { $0 + $1 * $1 }.squareRoot()
            return normalize && norm > 0 ? vector.map { $0 / norm } : vector
        }
        return EmbeddingResult(vectors: vectors, promptTokens: texts.reduce(0) { $0 + $1.split(separator: " ").count })
    }

    public func stop(gracePeriod: Duration) async {
        markExited()
    }

    public func waitForExit() async {
        await withCheckedContinuation { continuation in
            let done = lock.withLock {
                if exitHeard { return true }
                exitWaiters.append(continuation)
                return false
            }
            if done { continuation.resume() }
        }
    }
}
