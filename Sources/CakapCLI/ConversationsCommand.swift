import ArgumentParser
import AsyncHTTPClient
import ConversationsService
import Foundation
import HTTPProxy
import Identity
import Logging
import ServiceLifecycle
import ServiceServer
import TokenVerification

/// `cakap conversations`: the conversations API (R-API-1) over HTTP, on PostgreSQL + pgvector
/// from the `DB_*` variables (R-FN-2). It verifies ID tokens itself against the pool's JWKS.
struct ConversationsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "conversations",
        abstract: "Run the conversations API over HTTP (database from DB_HOST, DB_PORT, DB_USER, DB_PASSWORD, DB_NAME)."
    )

    @Option(help: "Listener port.") var port: Int = 8090
    @Option(help: "Address to listen on.") var host: String = "127.0.0.1"
    @Option(help: "The user pool's JWKS URL (default: the local edge's development pool).") var jwks: String?
    @Option(help: "The expected token issuer (default: the local edge's development pool).") var issuer: String?
    @Option(help: "The app client id (token audience).") var clientId: String = IdentityPoolSettings.development
        .clientId
    @Option(help: "Base URL of the local edge, for the default issuer.") var edge: String = "http://127.0.0.1:8080"
    @Option(help: "Seconds to keep retrying the database at start-up before giving up.") var startupPatience: Int = 60

    func run() async throws {
        bootstrapLogging()
        let logger = Logger(label: "cakap.conversations")
        let configuration = try ServiceConfiguration.fromEnvironment()
        guard let database = configuration.database else {
            throw ValidationError(
                "DB_HOST is not set: point DB_* at a database (cakap postgres runs one), or use cakap up")
        }
        var pool = IdentityPoolSettings.development(publicBaseURL: edge + "/idp")
        pool.clientId = clientId
        let patience = Duration.seconds(startupPatience)
        // The models and embeddings take seconds per call: more than AsyncHTTPClient's default 8
        // connections per balancer, or concurrent learners queue for a connection and fail.
        try await withHTTPClient(configuration: HTTPForwarder.clientConfiguration()) { httpClient in
            let verifier = TokenVerifier(
                jwksURL: jwks ?? pool.jwksURL, issuer: issuer ?? pool.issuer, audience: clientId, httpClient: httpClient
            )
            let backend = try ConversationsBackend(
                database: database, configuration: configuration, httpClient: httpClient, logger: logger)
            let server = APIServer(
                api: backend.api, prefix: "/conversations", verifier: verifier,
                maxBodyBytes: configuration.settings.maxBodyBytes, logger: logger)
            let application = server.application(
                host: host, port: port, beforeStart: { try await backend.prepare(patience: patience) })
            let group = ServiceGroup(
                configuration: .init(
                    services: [backend, application], gracefulShutdownSignals: [.sigterm, .sigint], logger: logger))
            try await group.run()
        }
    }
}
