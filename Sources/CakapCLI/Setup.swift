import ArgumentParser
import Foundation
import Provisioning

/// `cakap setup`: engine and default models into the cache; a second run does nothing.
struct Setup: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Install llama.cpp and the default models into $CAKAP_HOME (cached, idempotent).")

    @OptionGroup var pathOptions: PathOptions

    @Option(help: "Folder holding convert_minilm_gguf.py (default: tools/ of the checkout).")
    var tools: String?

    func run() async throws {
        let paths = pathOptions.paths
        let tools = try self.tools ?? Repository.path("tools")
        say("cakap setup: cache \(paths.home), models \(paths.models)")
        let started = ContinuousClock.now
        do {
            try Provisioner(paths: paths, toolsDirectory: tools).setUpEverything()
        } catch let error as ProvisioningError {
            FileHandleOutput.standardError("setup failed: \(error.description)")
            throw ExitCode.failure
        }
        say("cakap setup: done in \(ContinuousClock.now - started)")
    }
}

enum FileHandleOutput {
    static func standardError(_ text: String) {
        FileHandle.standardError.write(Data((text + "\n").utf8))
    }
}
