import AsyncHTTPClient
import Conversations
import Logging
import PostgresNIO
import ServiceLifecycle

/// The database pool, the store and the API built from one configuration: what both the HTTP
/// server and the Lambda run. `run()` keeps the pool alive (it is a Service).
public struct ConversationsBackend: Service {
    public let api: ConversationsAPI
    public let store: PostgresConversationStore
    let client: PostgresClient
    let settings: ConversationsSettings
    let appRole: Migrations.AppRole?
    let logger: Logger

    public init(
        database: DatabaseSettings, configuration: ServiceConfiguration, httpClient: HTTPClient, logger: Logger
    ) throws {
        client = PostgresClient(configuration: try database.clientConfiguration(), backgroundLogger: logger)
        store = PostgresConversationStore(client: client, logger: logger)
        settings = configuration.settings
        appRole = database.appUser.map { Migrations.AppRole(name: $0, password: database.appPassword ?? "") }
        let embedder: (any Embedder)? =
            configuration.embedURLs.isEmpty
            ? nil
            : HTTPEmbedder(model: settings.embeddingModel, baseURLs: configuration.embedURLs, httpClient: httpClient)
        api = ConversationsAPI(store: store, embedder: embedder, settings: settings, logger: logger)
        self.logger = logger
    }

    /// Runs the pool until cancelled.
    public func run() async throws {
        await client.run()
    }

    /// Applies the migrations, retrying every second while the database cannot be reached, for
    /// at most `patience`. Needs `run()` to be running.
    /// - Parameter dimensions: the vector indexes to make sure of; default the store's own
    ///   dimension (the owner function passes every function's, `ServiceConfiguration.indexDimensions`).
    public func prepare(patience: Duration = .seconds(60), dimensions: [Int]? = nil) async throws {
        let deadline = ContinuousClock.now + patience
        while true {
            do {
                for dimension in dimensions ?? [settings.embeddingDimensions] {
                    try await store.migrate(dimensions: dimension, appRole: appRole, timeout: deadline - .now)
                }
                return
            } catch {
                let detail =
                    (error as? PSQLError).map { PostgresConversationStore.classify($0).description } ?? "\(error)"
                guard ContinuousClock.now < deadline else {
                    throw ConfigurationError("the database schema could not be prepared: \(detail)")
                }
                logger.warning("database not ready; retrying", metadata: ["error": "\(detail)"])
                try await Task.sleep(for: .seconds(1))
            }
        }
    }
}
