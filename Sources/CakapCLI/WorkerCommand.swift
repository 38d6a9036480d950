import ArgumentParser
import CakapSettings
import CakapWorker
import Foundation
import Hummingbird
import Logging

/// `cakap worker`: the Ollama-compatible worker.
struct WorkerCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "worker", abstract: "Serve the Ollama API, supervising llama-server (see docs/worker-api.md).")

    @Option(help: "Address to listen on.") var host: String = "127.0.0.1"
    @Option(help: "Port to listen on.") var port: Int = 11434
    @OptionGroup var pathOptions: PathOptions

    func run() async throws {
        let environment = ProcessEnvironment.current
        bootstrapLogging()
        let paths = pathOptions.paths
        var configuration: WorkerConfiguration
        do {
            configuration = try WorkerConfiguration.fromEnvironment(
                environment, modelsRoot: paths.models, enginePath: paths.llamaServer)
        } catch {
            FileHandle.standardError.write(Data("cakap worker: \(error)\n".utf8))
            throw ExitCode(2)
        }
        configuration.host = host
        configuration.port = port
        let app = try buildWorkerApplication(configuration: configuration)
        try await app.runService()
    }
}
