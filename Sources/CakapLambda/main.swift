import AsyncHTTPClient
import ConversationsService
import Foundation
import LambdaRuntime
import Logging

// The Lambda `bootstrap` (provided.al2023): a fully static binary (`scripts/build-lambda`).
// `_HANDLER` (the function's Handler setting) picks the function; `conversations` is the only
// one so far. Settings: the `DB_*` variables (R-FN-2), `CAKAP_EMBED_*`, `CAKAP_CORS_ORIGINS`.

LoggingSystem.bootstrap { label in
    var handler = StreamLogHandler.standardError(label: label)
    handler.logLevel = .info
    return handler
}
let logger = Logger(label: "cakap.lambda")
let environment = ProcessInfo.processInfo.environment
guard let endpoint = environment["AWS_LAMBDA_RUNTIME_API"] else {
    logger.critical("AWS_LAMBDA_RUNTIME_API is not set: this program runs inside AWS Lambda")
    exit(64)
}
let httpClient = HTTPClient(eventLoopGroupProvider: .singleton)
let runtime = HTTPRuntimeAPIClient(endpoint: endpoint, httpClient: httpClient)
let origins = (environment["CAKAP_CORS_ORIGINS"] ?? "").split(separator: ",").map(String.init)

/// Initialisation: settings, the database pool, the schema. Any failure is reported to Lambda.
func initialise() async throws -> ConversationsBackend {
    let handlerName = environment["_HANDLER"].flatMap { $0.isEmpty ? nil : $0 } ?? "conversations"
    guard handlerName == "conversations" else { throw ConfigurationError("unknown handler \"\(handlerName)\"") }
    let configuration = try ServiceConfiguration.fromEnvironment(environment)
    guard let database = configuration.database else { throw ConfigurationError("DB_HOST is not set") }
    let backend = try ConversationsBackend(
        database: database, configuration: configuration, httpClient: httpClient, logger: logger)
    Task { try await backend.run() }
    // Lambda gives initialisation 10 s; a database that does not answer by then is an init error.
    try await backend.prepare(patience: .seconds(8))
    return backend
}

let backend: ConversationsBackend
do {
    backend = try await initialise()
} catch {
    logger.critical("initialisation failed", metadata: ["error": "\(error)"])
    await LambdaLoop.reportInitFailure(client: runtime, error)
    exit(1)
}
do {
    try await LambdaLoop.run(client: runtime, logger: logger) { invocation in
        try await backend.api.handle(event: invocation.event, invocation: invocation, allowedOrigins: origins)
    }
} catch {
    logger.critical("the Runtime API failed; stopping", metadata: ["error": "\(error)"])
    exit(1)
}
