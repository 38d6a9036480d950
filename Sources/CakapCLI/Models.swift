import ArgumentParser
import Foundation
import ModelStore

/// `cakap models`: look at and manage the model store.
struct Models: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "List, import or prune models in the store.", subcommands: [List.self, Import.self, Prune.self],
        defaultSubcommand: List.self)

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "List the models in the store; a second name of the same blobs shows as an alias.")
        @OptionGroup var pathOptions: PathOptions

        func run() async throws {
            let store = ModelStore(root: pathOptions.paths.models)
            let models = store.list()
            let aliases = ModelStore.aliasTargets(among: models)
            for model in models {
                let name = model.name.displayName.padding(toLength: 32, withPad: " ", startingAt: 0)
                // An alias shares its model's blobs: its size is not disk used again.
                if let target = aliases[model.name] {
                    print("\(name) alias of \(target.displayName)")
                    continue
                }
                let size = String(format: "%8.1f MB", Double(model.size) / 1e6)
                print("\(name) \(size)  \(model.digest.prefix(12))  \(model.modelPath)")
            }
        }
    }

    struct Import: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Add a local GGUF file under a name.")
        @OptionGroup var pathOptions: PathOptions
        @Option(help: "Name in the store, e.g. mymodel:latest.") var name: String
        @Argument(help: "The GGUF file.") var file: String

        func run() async throws {
            let store = ModelStore(root: pathOptions.paths.models)
            let model = try store.importGGUF(atPath: file, as: try ModelName(parsing: name))
            print("imported \(model.name.displayName) → \(model.modelPath)")
        }
    }

    struct Prune: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Remove blobs no manifest references (older than the grace period).")
        @OptionGroup var pathOptions: PathOptions

        func run() async throws {
            let removed = ModelStore(root: pathOptions.paths.models).prune()
            print("removed \(removed) unreferenced blob(s)")
        }
    }
}
