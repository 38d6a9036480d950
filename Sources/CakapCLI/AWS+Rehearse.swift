import ArgumentParser
import Foundation

extension AWS {
    /// `cakap aws rehearse`: the deployment run on this machine from its real artefacts, no account
    /// needed (issue 20). The driver is the rehearsal tier itself (scripts/rehearse → tests/rehearsal),
    /// so the command and the test suite cannot drift apart.
    struct Rehearse: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Rehearse the deployment locally from its real artefacts (no AWS account).",
            discussion: """
                Builds the artefacts as `cakap aws deploy` does, installs the worker bundle with \
                infra/ansible/worker.yml into two Debian roots standing for instances, starts them with \
                the unit's ExecStart, and calls them through an API Gateway stand-in built from api.yaml. \
                Needs root and `cakap setup`. docs/deploy.md says what it covers and what it cannot.
                """)

        @Argument(help: "Options passed to pytest (for example -k api).") var pytestOptions: [String] = []

        func run() async throws {
            let process = Process()
            process.executableURL = URL(fileURLWithPath: try Repository.path("scripts/rehearse"))
            process.arguments = pytestOptions
            try process.run()
            process.waitUntilExit()
            if process.terminationStatus != 0 { throw ExitCode(process.terminationStatus) }
        }
    }
}
