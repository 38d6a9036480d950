import CakapSettings
import Foundation
import OllamaAPI

/// Every setting of `cakap worker`, read in one place (`fromEnvironment`) from the variables the
/// registry declares (`Settings`, printed by `cakap config`).
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
    /// Largest `num_ctx` a request may ask for; more is a 400. Requests are rounded up to a power
    /// of two (at least 512) so that distinct values share engines. `CAKAP_MAX_CONTEXT_LENGTH`,
    /// default 32768.
    public var maxContextLength: Int = 32768
    /// Most `llama-server` engines at once; a new one stops the least recently used idle one,
    /// or the request gets 503 when all are busy. `CAKAP_MAX_ENGINES`, default 4.
    public var maxEngines: Int = 4
    /// Models `/api/pull` may fetch (names as `model:tag` or `namespace/model:tag`; a name without
    /// a tag allows every tag). `CAKAP_PULL_MODELS`, comma-separated; default `*` (any name of an
    /// allowed host). Learners never reach pull through the edge (issue 19); this narrows what an
    /// operator's pull can bring in.
    public var pullModels: [String] = ["*"]
    /// Largest model (all layers together) `/api/pull` accepts. `CAKAP_PULL_MAX_BYTES`, default 8 GiB.
    public var pullMaxBytes: Int64 = 8 << 30
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
    /// Browser origins whose calls get CORS headers (exact, or `*`); default none. On AWS the
    /// browser reaches the worker through API Gateway's HTTP proxy, which cannot add them.
    /// `CAKAP_CORS_ORIGINS`, comma-separated (also read by the Lambdas).
    public var corsOrigins: [String] = []
    /// Where engine logs go. `CAKAP_LOG_DIR`, default `<tmp>/cakap-logs`.
    public var logDirectory: String = NSTemporaryDirectory() + "cakap-logs"
    /// Log every prompt sent to an engine (one JSON string per line). `CAKAP_LOG_PROMPTS`
    /// (`1`/`true`), default off: prompts hold what learners wrote.
    public var logPrompts = false

    public init(modelsRoot: String, enginePath: String) {
        self.modelsRoot = modelsRoot
        self.enginePath = enginePath
    }

    /// The configuration from environment variables over the defaults.
    /// - Throws: `WorkerConfigurationError` naming the variable whose value is invalid.
    public static func fromEnvironment(
        _ environment: [String: String], modelsRoot: String, enginePath: String
    ) throws -> Self {
        var configuration = WorkerConfiguration(modelsRoot: modelsRoot, enginePath: enginePath)
        func integer(_ setting: Setting, _ range: ClosedRange<Int>) throws -> Int? {
            guard let text = environment[setting] else { return nil }
            guard let value = Int(text), range.contains(value) else {
                throw WorkerConfigurationError(
                    description: "\(setting.name)=\(text): expected a whole number in \(range)")
            }
            return value
        }
        func duration(_ setting: Setting) throws -> Duration? {
            guard let text = environment[setting] else { return nil }
            guard let parsed = DurationText.parse(text) else {
                throw WorkerConfigurationError(
                    description: "\(setting.name)=\(text): expected a duration such as 30s or 5m")
            }
            return parsed
        }
        func list(_ setting: Setting) -> [String]? {
            environment[setting].map {
                $0.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
            }
        }
        configuration.numParallel = try integer(Settings.numParallel, 1...64) ?? configuration.numParallel
        configuration.maxQueue = try integer(Settings.maxQueue, 0...100_000) ?? configuration.maxQueue
        configuration.contextLength = try integer(Settings.contextLength, 64...1_048_576) ?? configuration.contextLength
        configuration.threads = try integer(Settings.numThreads, 1...1024) ?? configuration.threads
        configuration.maxContextLength =
            try integer(Settings.maxContextLength, 512...1_048_576) ?? configuration.maxContextLength
        configuration.maxEngines = try integer(Settings.maxEngines, 1...64) ?? configuration.maxEngines
        configuration.pullMaxBytes = Int64(
            try integer(Settings.pullMaxBytes, 1...(1 << 50)) ?? Int(configuration.pullMaxBytes))
        configuration.pullModels = list(Settings.pullModels)?.map { $0.lowercased() } ?? configuration.pullModels
        configuration.maxBodyBytes = try integer(Settings.maxBodyBytes, 1024...1 << 30) ?? configuration.maxBodyBytes
        if let text = environment[Settings.keepAlive] {
            guard let keepAlive = KeepAlive(parsing: text) else {
                throw WorkerConfigurationError(
                    description: "CAKAP_KEEP_ALIVE=\(text): expected a duration such as 5m, or -1 for forever")
            }
            configuration.keepAlive = keepAlive.duration
        }
        configuration.loadTimeout = try duration(Settings.loadTimeout) ?? configuration.loadTimeout
        configuration.drainTimeout = try duration(Settings.drainTimeout) ?? configuration.drainTimeout
        configuration.registry = environment[Settings.registry] ?? configuration.registry
        configuration.pullHosts = list(Settings.pullHosts)?.map { $0.lowercased() } ?? configuration.pullHosts
        configuration.corsOrigins = list(Settings.corsOrigins) ?? configuration.corsOrigins
        configuration.logDirectory = environment[Settings.logDirectory] ?? configuration.logDirectory
        configuration.logPrompts = ["1", "true", "yes"].contains(environment[Settings.logPrompts]?.lowercased() ?? "")
        return configuration
    }
}

/// A setting whose value cannot be used.
public struct WorkerConfigurationError: Error, CustomStringConvertible, Sendable {
    public var description: String
}
