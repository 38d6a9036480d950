import ArgumentParser
import Deployment
import Foundation
import Provisioning

/// Options every `cakap aws` command that talks to AWS shares.
struct AWSOptions: ParsableArguments {
    @Option(help: "Send every aws call to this endpoint instead of AWS (a stand-in such as moto).")
    var endpointURL: String?
    @Option(help: "Only these stacks (comma-separated), in plan order.") var only: String?
    @Option(help: "The stack plan (default: infra/stacks.json of the checkout, see CAKAP_REPOSITORY).")
    var stacks: String?

    var selection: Set<String>? {
        only.map { Set($0.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }) }
    }

    /// The checkout the plan's templates (and the artefact build) come from.
    func repository() throws -> String { try Repository.stackPlan(stacks).repository }

    func deployer() throws -> Deployer {
        let (plan, repository) = try Self.loadPlan(stacks)
        return Deployer(
            plan: plan, repository: repository, cloud: AWSCommandLine(endpointURL: endpointURL),
            progress: { say($0) })
    }

    /// The stack plan (`stacks`, else the checkout's) and the checkout its templates are in.
    static func loadPlan(_ stacks: String?) throws -> (plan: StackPlan, repository: String) {
        let location = try Repository.stackPlan(stacks)
        do {
            return (try StackPlan.load(fromFile: location.file, repository: location.repository), location.repository)
        } catch let error as DeploymentError {
            throw ValidationError(error.description)
        }
    }
}

extension AWS {
    /// `cakap aws deploy`: builds the artefacts, then deploys both regions in dependency order.
    struct Deploy: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Build the artefacts and deploy the stacks of both regions in order (needs the aws CLI).")

        @OptionGroup var options: AWSOptions
        @Option(help: "Artefact folder (default: .build/artefacts of the checkout).") var artefacts: String?
        @Flag(help: "Use the artefacts already in the folder instead of building them.") var skipBuild = false

        func run() async throws {
            let deployer = try options.deployer()
            let repository = try options.repository()
            let artefacts = self.artefacts ?? repository + "/.build/artefacts"
            if !skipBuild {
                say("building artefacts into \(artefacts) (scripts/build-artefacts) …")
                try CommandRunner().run(
                    [repository + "/scripts/build-artefacts", artefacts], logTo: artefacts + ".log")
            }
            // One file per artefact, named after it (scripts/build-artefacts writes them so).
            var files: [String: String] = [:]
            for name in ["playbook", "conversations-lambda", "tutor-lambda", "web"] {
                let path = artefacts + "/\(name).zip"
                if FileManager.default.fileExists(atPath: path) { files[name] = path }
            }
            let outputs: [String: [String: String]]
            do {
                outputs = try deployer.deploy(artefactFiles: files, only: options.selection)
            } catch let error as DeploymentError {
                throw ValidationError(error.description)
            } catch let error as CloudCommandError {
                throw ValidationError(error.description)
            }
            say("deployed \(outputs.count) stacks")
            for (label, stack, key) in [
                ("API", "lks-api", "ApiUrl"), ("web app", "lks-web", "WebUrl"), ("user pool", "lks-auth", "UserPoolId"),
                ("app client", "lks-auth", "UserPoolClientId"),
            ] {
                if let value = outputs[stack]?[key] {
                    say("  \(label.padding(toLength: 11, withPad: " ", startingAt: 0)) \(value)")
                }
            }
            say("next: cakap aws smoke")
        }
    }

    /// `cakap aws destroy`: deletes the stacks in reverse order and proves nothing is left.
    struct Destroy: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Delete the stacks in reverse order, then list any lks- stack or Project=cakap resource left.")

        @OptionGroup var options: AWSOptions

        func run() async throws {
            let left: [String]
            do {
                left = try options.deployer().destroy(only: options.selection)
            } catch let error as CloudCommandError {
                throw ValidationError(error.description)
            }
            guard left.isEmpty else {
                say("left behind:")
                left.forEach { say("  \($0)") }
                throw ExitCode(1)
            }
            say("nothing left: no lks- stack and no resource tagged Project=cakap")
        }
    }
}
