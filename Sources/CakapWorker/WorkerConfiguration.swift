import Foundation
import OllamaAPI

/// Every setting of `cakap worker`, read in one place (`fromEnvironment`), each with its
/// environment variable, default and meaning, printable by `cakap config`.
public struct WorkerConfiguration: Sendable {
    /// Address to listen on. Default `127.0.0.1`; the fleet binds `0.0.0.0` behind the balancer.
    public var host: String = "127.0.0.1"
    /// Port to listen on. Default 11434, Ollama's.
    public var port: Int = 11434
    /// The model store's root (Ollama layout).
    public var modelsRoot: String
    /// The `llama-server` binary to supervise.
    public var enginePath: String
    /// Parallel slots per loaded model (`llama-server -np`). `CAKAP_NUM_PARALLEL`, default 2.
    public var numParallel: Int = 2
    /// Requests that may wait for a slot before the worker answers 503. `CAKAP_MAX_QUEUE`, default 512.
    public var maxQueue: Int = 512
    /// Default keep-alive when a request gives none; nil keeps models loaded forever.
    /// `CAKAP_KEEP_ALIVE` (a duration, or -1 for forever), default 5m.
    public var keepAlive: Duration? = .seconds(300)
    /// Default context window per request. `CAKAP_CONTEXT_LENGTH`, default 2048 (Ollama 0.6's).
    public var contextLength: Int = 2048
    /// CPU threads per engine (`-t`). `CAKAP_NUM_THREADS`, default: all cores.
    public var threads: Int = ProcessInfo.processInfo.activeProcessorCount
    /// Registry for names not in the store. `CAKAP_REGISTRY`, default `https://registry.ollama.ai`.
    public var registry: String = "https://registry.ollama.ai"
    /// Registry hosts a pull may name besides the default one (whose names go to `registry`).
    /// `CAKAP_PULL_HOSTS`, comma-separated; default none, so a learner's `/api/pull` cannot make
    /// the worker fetch from an address of their choosing (issue 9, SSRF); `*` allows any host.
    public var pullHosts: [String] = []
    /// Longest wait for a starting engine to become ready. `CAKAP_LOAD_TIMEOUT`, default 120 s.
    public var loadTimeout: Duration = .seconds(120)
    /// Longest wait for in-flight requests on SIGTERM. `CAKAP_DRAIN_TIMEOUT`, default 30 s.
    public var drainTimeout: Duration = .seconds(30)
    /// Largest accepted request body. `CAKAP_MAX_BODY_BYTES`, default 8 MiB.
    public var maxBodyBytes: Int = 8 << 20
    /// Where engine logs go. `CAKAP_LOG_DIR`, default `<tmp>/cakap-logs`.
    public var logDirectory: String = NSTemporaryDirectory() + "cakap-logs"
    /// Log every prompt sent to an engine (one JSON string per line). `CAKAP_LOG_PROMPTS`
    /// (`1`/`true`), default off: prompts hold what learners wrote.
    public var logPrompts = false

    public init(modelsRoot: String, enginePath: String) {
        self.modelsRoot = modelsRoot
        self.enginePath = enginePath
    }

    /// One documented setting, for `cakap config`.
    public struct Setting: Sendable {
        public var variable: String
        public var value: String
        public var description: String
    }

    /// The configuration from environment variables over the defaults.
    /// - Throws: `WorkerConfigurationError` naming the variable whose value is invalid.
    public static func fromEnvironment(
        _ environment: [String: String], modelsRoot: String, enginePath: String
    ) throws -> Self {
        var configuration = WorkerConfiguration(modelsRoot: modelsRoot, enginePath: enginePath)
        func integer(_ name: String, _ range: ClosedRange<Int>) throws -> Int? {
            guard let text = environment[name], !text.isEmpty else { return nil }
            guard let value = Int(text), range.contains(value) else {
                throw WorkerConfigurationError(description: "\(name)=\(text): expected a whole number in \(range)")
            }
            return value
        }
        func duration(_ name: String) throws -> Duration? {
            guard let text = environment[name], !text.isEmpty else { return nil }
            guard let parsed = DurationText.parse(text) else {
                throw WorkerConfigurationError(description: "\(name)=\(text): expected a duration such as 30s or 5m")
            }
            return parsed
        }
        configuration.numParallel = try integer("CAKAP_NUM_PARALLEL", 1...64) ?? configuration.numParallel
        configuration.maxQueue = try integer("CAKAP_MAX_QUEUE", 0...100_000) ?? configuration.maxQueue
        configuration.contextLength = try integer("CAKAP_CONTEXT_LENGTH", 64...1_048_576) ?? configuration.contextLength
        configuration.threads = try integer("CAKAP_NUM_THREADS", 1...1024) ?? configuration.threads
        configuration.maxBodyBytes = try integer("CAKAP_MAX_BODY_BYTES", 1024...1 << 30) ?? configuration.maxBodyBytes
        if let text = environment["CAKAP_KEEP_ALIVE"], !text.isEmpty {
            guard let keepAlive = KeepAlive(parsing: text) else {
                throw WorkerConfigurationError(
                    description: "CAKAP_KEEP_ALIVE=\(text): expected a duration such as 5m, or -1 for forever")
            }
            configuration.keepAlive = keepAlive.duration
        }
        configuration.loadTimeout = try duration("CAKAP_LOAD_TIMEOUT") ?? configuration.loadTimeout
        configuration.drainTimeout = try duration("CAKAP_DRAIN_TIMEOUT") ?? configuration.drainTimeout
        if let registry = environment["CAKAP_REGISTRY"], !registry.isEmpty { configuration.registry = registry }
        if let hosts = environment["CAKAP_PULL_HOSTS"] {
            configuration.pullHosts = hosts.split(separator: ",").map {
                $0.trimmingCharacters(in: .whitespaces).lowercased()
            }
            .filter { !$0.isEmpty }
        }
        if let directory = environment["CAKAP_LOG_DIR"], !directory.isEmpty { configuration.logDirectory = directory }
        configuration.logPrompts = ["1", "true", "yes"].contains(environment["CAKAP_LOG_PROMPTS"]?.lowercased() ?? "")
        return configuration
    }

    /// Every setting with its current value, for `cakap config`.
    public var settings: [Setting] {
        [
            Setting(variable: "--host", value: host, description: "address to listen on"),
            Setting(variable: "--port", value: String(port), description: "port to listen on (Ollama's 11434)"),
            Setting(variable: "CAKAP_MODELS / --models", value: modelsRoot, description: "model store (Ollama layout)"),
            Setting(variable: "(engine)", value: enginePath, description: "llama-server binary, from cakap setup"),
            Setting(
                variable: "CAKAP_NUM_PARALLEL", value: String(numParallel),
                description: "parallel slots per model (-np)"),
            Setting(variable: "CAKAP_MAX_QUEUE", value: String(maxQueue), description: "waiting requests before 503"),
            Setting(
                variable: "CAKAP_KEEP_ALIVE", value: keepAlive.map { "\($0)" } ?? "forever",
                description: "default idle time before unload"),
            Setting(
                variable: "CAKAP_CONTEXT_LENGTH", value: String(contextLength),
                description: "default num_ctx per request"),
            Setting(variable: "CAKAP_NUM_THREADS", value: String(threads), description: "CPU threads per engine"),
            Setting(variable: "CAKAP_REGISTRY", value: registry, description: "registry for /api/pull"),
            Setting(
                variable: "CAKAP_PULL_HOSTS", value: pullHosts.isEmpty ? "(none)" : pullHosts.joined(separator: ","),
                description: "other registry hosts a pull may name (* for any)"),
            Setting(variable: "CAKAP_LOAD_TIMEOUT", value: "\(loadTimeout)", description: "longest model load"),
            Setting(variable: "CAKAP_DRAIN_TIMEOUT", value: "\(drainTimeout)", description: "longest drain on SIGTERM"),
            Setting(variable: "CAKAP_MAX_BODY_BYTES", value: String(maxBodyBytes), description: "largest request body"),
            Setting(variable: "CAKAP_LOG_DIR", value: logDirectory, description: "engine logs"),
            Setting(
                variable: "CAKAP_LOG_PROMPTS", value: logPrompts ? "1" : "0",
                description: "log each prompt sent to an engine (debugging templates)"),
        ]
    }
}

/// A setting whose value cannot be used.
public struct WorkerConfigurationError: Error, CustomStringConvertible, Sendable {
    public var description: String
}
