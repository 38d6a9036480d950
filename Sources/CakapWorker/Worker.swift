import AsyncHTTPClient
import Foundation
import Hummingbird
import Logging
import ModelStore
import OllamaAPI

/// Everything the worker's handlers share: the store, the engine scheduler, the registry client,
/// metrics and settings. Built once by `buildWorkerApplication`.
public struct Worker: Sendable {
    public let configuration: WorkerConfiguration
    public let store: ModelStore
    public let scheduler: EngineScheduler
    public let registry: RegistryClient
    public let metrics: WorkerMetrics
    public let logger: Logger

    /// The Ollama version whose API this worker follows (what `/api/version` reports).
    public static let ollamaVersion = "0.6.3"

    public init(
        configuration: WorkerConfiguration, store: ModelStore, scheduler: EngineScheduler, registry: RegistryClient,
        metrics: WorkerMetrics, logger: Logger
    ) {
        self.configuration = configuration
        self.store = store
        self.scheduler = scheduler
        self.registry = registry
        self.metrics = metrics
        self.logger = logger
    }

    /// The stored model for a request's name, or Ollama's 404.
    func storedModel(_ text: String?) throws -> StoredModel {
        guard let text, !text.isEmpty else { throw WorkerError.badRequest("model is required") }
        let name: ModelName
        do {
            name = try ModelName(parsing: text)
        } catch {
            throw WorkerError.badRequest("invalid model name '\(text)'")
        }
        do {
            return try store.model(named: name)
        } catch let error as ModelStoreError where error.isNotFound {
            throw WorkerError.modelNotFound(text)
        }
    }

    /// The keep-alive a request asks for, or the worker's default. nil means forever.
    func keepAlive(_ requested: KeepAlive?) -> Duration? {
        guard let requested else { return configuration.keepAlive }
        return requested.duration
    }
}

/// Builds the worker's HTTP application; `cakap worker` runs it and tests use it directly.
public func buildWorkerApplication(
    configuration: WorkerConfiguration, launcher: (any EngineLauncher)? = nil, httpClient: HTTPClient = .shared,
    logger: Logger = Logger(label: "cakap.worker")
) throws -> some ApplicationProtocol {
    let store = ModelStore(root: configuration.modelsRoot)
    try store.prepare()
    let launcher =
        launcher
        ?? LlamaServerLauncher(
            enginePath: configuration.enginePath, logDirectory: configuration.logDirectory,
            loadTimeout: configuration.loadTimeout, logger: logger)
    let scheduler = EngineScheduler(
        launcher: launcher, parallel: configuration.numParallel, maxQueue: configuration.maxQueue,
        threads: configuration.threads, maxEngines: configuration.maxEngines,
        drainTimeout: configuration.drainTimeout, logger: logger)
    let worker = Worker(
        configuration: configuration, store: store, scheduler: scheduler,
        registry: RegistryClient(
            httpClient: httpClient, defaultRegistry: configuration.registry, allowedHosts: configuration.pullHosts),
        metrics: WorkerMetrics(), logger: logger)
    return Application(
        router: worker.makeRouter(),
        configuration: .init(address: .hostname(configuration.host, port: configuration.port), serverName: nil),
        services: [scheduler],
        logger: logger)
}
