import ArgumentParser
import Foundation
import Provisioning

/// `cakap`: one executable, a subcommand per component.
@main
struct Cakap: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Cakap: an English-learning assistant on a two-region LLM fleet.",
        subcommands: [
            Setup.self, Doctor.self, Config.self, Models.self, WorkerCommand.self, Balance.self, EdgeCommand.self,
            Up.self, Users.self, PostgresCommand.self, ConversationsCommand.self, TutorCommand.self, Eval.self,
            AWS.self, Bench.self,
        ])
}

/// Options every subcommand that touches the cache shares.
struct PathOptions: ParsableArguments {
    @Option(help: "Model store (default $CAKAP_MODELS, else $CAKAP_HOME/models).")
    var models: String?

    var paths: CakapPaths {
        var paths = CakapPaths.fromEnvironment()
        if let models { paths.models = models }
        return paths
    }
}
