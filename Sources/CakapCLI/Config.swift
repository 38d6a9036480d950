import ArgumentParser
import CakapWorker
import ConversationsService
import Foundation

/// `cakap config`: every setting with its value and meaning.
struct Config: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Print every setting, its current value and meaning.")

    @OptionGroup var pathOptions: PathOptions

    func run() async throws {
        let paths = pathOptions.paths
        print("CAKAP_HOME".padding(toLength: 26, withPad: " ", startingAt: 0) + paths.home)
        let configuration = try WorkerConfiguration.fromEnvironment(
            ProcessInfo.processInfo.environment, modelsRoot: paths.models, enginePath: paths.llamaServer)
        for setting in configuration.settings {
            print(
                setting.variable.padding(toLength: 26, withPad: " ", startingAt: 0)
                    + setting.value.padding(toLength: 40, withPad: " ", startingAt: 0) + "  " + setting.description)
        }
        let origins = ProcessInfo.processInfo.environment[Up.corsOriginsVariable] ?? ""
        print(
            Up.corsOriginsVariable.padding(toLength: 26, withPad: " ", startingAt: 0)
                + origins.padding(toLength: 40, withPad: " ", startingAt: 0)
                + "  more origins the edge of `cakap up` allows by CORS (comma-separated; also --cors-origin), and the Lambdas'"
        )
        print("\nconversations service (cakap conversations, the Lambda):")
        let environment = ProcessInfo.processInfo.environment
        for (variable, description) in ServiceConfiguration.descriptions {
            let value =
                variable == "DB_PASSWORD" ? (environment[variable] == nil ? "" : "(set)") : environment[variable] ?? ""
            print(
                variable.padding(toLength: 26, withPad: " ", startingAt: 0)
                    + value.padding(toLength: 40, withPad: " ", startingAt: 0) + "  " + description)
        }
    }
}
