import CakapSettings
import Foundation

/// The Cakap checkout whose files a command uses (`infra/`, `config/`, `tools/`, `web/`,
/// `scripts/`), found when the command runs, never from where this binary was compiled: a copied or
/// installed `cakap` (the worker bundle's, say) reads the checkout it is run for, or says plainly
/// that it found none instead of reading a build machine's paths.
enum Repository {
    /// A file every checkout has: a folder holding it is a checkout.
    static let marker = "infra/stacks.json"

    /// The checkout: `$CAKAP_REPOSITORY` when set (it must be one), else the working directory or
    /// its nearest parent that is one, else the folder of this executable or its nearest parent
    /// that is one (a build inside a checkout, `.build/debug/cakap`).
    static func root(
        environment: [String: String] = ProcessEnvironment.current,
        workingDirectory: String = FileManager.default.currentDirectoryPath,
        executable: String = CommandLine.executablePath
    ) throws -> String {
        if let given = environment[Settings.repository] {
            let path = absolute(given, from: workingDirectory)
            guard isCheckout(path) else {
                throw RepositoryError(
                    description: "\(Settings.repository.name)=\(given) is not a Cakap checkout (no \(marker) in it)")
            }
            return path
        }
        let executableFolder = (URL(fileURLWithPath: executable).resolvingSymlinksInPath().path as NSString)
            .deletingLastPathComponent
        for start in [workingDirectory, executableFolder] {
            if let found = nearestCheckout(from: start) { return found }
        }
        throw RepositoryError(
            description: """
                no Cakap checkout (a folder with \(marker)) in \(workingDirectory), beside \(executable), \
                or in a parent of either: run cakap from inside the checkout, or set \
                \(Settings.repository.name)=/path/to/cakap
                """)
    }

    /// `relative` inside the checkout, e.g. `config/topology.json`.
    static func path(_ relative: String) throws -> String { try root() + "/" + relative }

    /// The stack plan and the checkout its template paths are relative to: a plan given by path is
    /// `infra/stacks.json` of its own checkout; without one, the found checkout's.
    static func stackPlan(_ given: String?) throws -> (file: String, repository: String) {
        guard let given else {
            let root = try root()
            return (root + "/" + marker, root)
        }
        let file = absolute(given, from: FileManager.default.currentDirectoryPath)
        let repository = ((file as NSString).deletingLastPathComponent as NSString).deletingLastPathComponent
        return (file, repository)
    }

    static func isCheckout(_ folder: String) -> Bool {
        FileManager.default.fileExists(atPath: folder + "/" + marker)
    }

    static func nearestCheckout(from start: String) -> String? {
        var folder = URL(fileURLWithPath: start).standardizedFileURL.path
        while true {
            if isCheckout(folder) { return folder }
            let parent = (folder as NSString).deletingLastPathComponent
            if parent == folder || parent.isEmpty { return nil }
            folder = parent
        }
    }

    static func absolute(_ path: String, from folder: String) -> String {
        let url = path.hasPrefix("/") ? URL(fileURLWithPath: path) : URL(fileURLWithPath: folder + "/" + path)
        return url.standardizedFileURL.path
    }
}

/// No checkout where `Repository` looked, or `$CAKAP_REPOSITORY` names a folder that is not one.
struct RepositoryError: Error, CustomStringConvertible {
    let description: String
}
