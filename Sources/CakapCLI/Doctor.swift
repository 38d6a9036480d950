import ArgumentParser
import Foundation
import ModelStore
import Provisioning

/// `cakap doctor`: every engine and model with version and path; non-zero exit if one is missing.
struct Doctor: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Report engines and models; exit 1 if one is missing.")

    @OptionGroup var pathOptions: PathOptions

    func run() async throws {
        let paths = pathOptions.paths
        let runner = CommandRunner()
        var missing: [String] = []
        func report(_ ok: Bool, _ what: String, _ detail: String) {
            print("\(ok ? "ok     " : "MISSING") \(what.padding(toLength: 20, withPad: " ", startingAt: 0)) \(detail)")
            if !ok { missing.append(what) }
        }
        for (name, path) in [("llama-server", paths.llamaServer), ("llama-bench", paths.llamaBench)] {
            let version = runner.output(of: [path, "--version"])?
                .split(separator: "\n").first { $0.hasPrefix("version") }.map(String.init)
            report(version != nil, name, "\(version ?? "not runnable") (\(CakapPaths.llamaCppVersion) sdist) \(path)")
        }
        report(
            FileManager.default.isExecutableFile(atPath: paths.lmScore), "cakap-lmscore",
            "the tutor's scored edits \(paths.lmScore)")
        report(FileManager.default.isExecutableFile(atPath: paths.python), "python tools", paths.pythonTools)
        let postgres = runner.output(of: [paths.postgresBin + "/postgres", "--version"])?
            .trimmingCharacters(in: .whitespacesAndNewlines)
        let vector = FileManager.default.fileExists(atPath: paths.postgresRoot + "/lib/postgresql/vector.so")
        report(
            postgres != nil && vector, "postgres + pgvector",
            "\(postgres ?? "not runnable")\(vector ? ", vector.so" : ", no vector.so") \(paths.postgresBin)")
        let harper = runner.output(of: [paths.harperCLI, "--version"])?.trimmingCharacters(in: .whitespacesAndNewlines)
        report(harper != nil, "harper-cli", "\(harper ?? "not runnable") \(paths.harperCLI)")
        let store = ModelStore(root: paths.models)
        for model in DefaultModel.all {
            if let name = try? ModelName(parsing: model.name), let stored = try? store.model(named: name) {
                let megabytes = String(format: "%.1f MB", Double(stored.size) / 1e6)
                report(
                    FileManager.default.fileExists(atPath: stored.modelPath), model.name,
                    "\(stored.config?.modelFamily ?? "?") \(stored.config?.fileType ?? "?") \(megabytes) \(stored.modelPath)"
                )
            } else {
                report(false, model.name, "not in \(paths.models)")
            }
        }
        for alias in ModelAlias.briefNames {
            let stored = (try? ModelName(parsing: alias.name)).flatMap { try? store.model(named: $0) }
            let target = (try? ModelName(parsing: alias.target)).flatMap { try? store.model(named: $0) }
            let ok = stored != nil && stored?.manifest == target?.manifest
            report(
                ok, alias.name, ok ? "alias of \(alias.target)" : "not an alias of \(alias.target) in \(paths.models)")
        }
        if !missing.isEmpty {
            print("missing: \(missing.joined(separator: ", ")); run `cakap setup`")
            throw ExitCode.failure
        }
    }
}
