import ArgumentParser
import CakapSettings
import Foundation

/// `cakap config`: every environment variable Cakap reads (the `Settings` registry), with its
/// current value, default, meaning and the programs that read it.
struct Config: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Print every setting: current value, default, meaning and the programs that read it.")

    @Flag(help: "One JSON object per setting, in an array (for tests and tools).") var json = false

    func run() async throws {
        let environment = ProcessEnvironment.current
        let rows = Settings.all.map { setting in
            ConfigRow(setting: setting, value: Self.shown(setting, in: environment))
        }
        if json {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
            print(String(decoding: try encoder.encode(rows), as: UTF8.self))
            return
        }
        for row in rows {
            print(
                row.name.padding(toLength: 24, withPad: " ", startingAt: 0) + (row.value ?? "(default) " + row.default))
            print(String(repeating: " ", count: 24) + row.meaning + " [" + row.programs.joined(separator: ", ") + "]")
        }
    }

    /// The value as set, nil when unset (or empty: the default), and never a secret's text.
    static func shown(_ setting: Setting, in environment: [String: String]) -> String? {
        guard let value = environment[setting] else { return nil }
        return setting.isSecret ? "(set)" : value
    }
}

/// One line of `cakap config --json`.
struct ConfigRow: Encodable {
    let name: String
    let value: String?
    let `default`: String
    let meaning: String
    let programs: [String]
    let secret: Bool
    let external: Bool

    init(setting: Setting, value: String?) {
        name = setting.name
        self.value = value
        self.default = setting.defaultValue
        meaning = setting.meaning
        programs = setting.programs.map(\.rawValue)
        secret = setting.isSecret
        external = setting.isExternal
    }
}
