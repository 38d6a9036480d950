import Foundation

/// One environment variable a Cakap program reads, declared once in `Settings` (STYLE.md §10).
public struct Setting: Sendable, Hashable {
    /// The variable's name, e.g. `CAKAP_NUM_PARALLEL`.
    public let name: String
    /// The value used when the variable is unset or empty, as a person would write it.
    public let defaultValue: String
    /// What it changes, in one line.
    public let meaning: String
    /// The programs that read it.
    public let programs: [Program]
    /// Never printed (a password): `cakap config` shows only whether it is set.
    public let isSecret: Bool
    /// Read by the operating system or a runtime (the dynamic linker, the shell's PATH lookup,
    /// AWS Lambda), not by Cakap's own code; listed so that every variable a deployment sets is
    /// accounted for.
    public let isExternal: Bool

    public init(
        _ name: String, default defaultValue: String, _ meaning: String, programs: [Program],
        secret: Bool = false, external: Bool = false
    ) {
        self.name = name
        self.defaultValue = defaultValue
        self.meaning = meaning
        self.programs = programs
        self.isSecret = secret
        self.isExternal = external
    }

    /// A program (or a part of `cakap`) that reads settings.
    public enum Program: String, Sendable, CaseIterable {
        /// Every `cakap` subcommand (paths, logging).
        case cli = "cakap"
        /// `cakap setup` and `cakap doctor`.
        case setup = "cakap setup"
        /// `cakap worker`, also on AWS (worker.env).
        case worker = "cakap worker"
        /// `cakap up`, the local fleet.
        case up = "cakap up"
        /// `cakap conversations` and the conversations Lambda.
        case conversations = "conversations"
        /// `cakap tutor`'s Lambda form.
        case tutor = "tutor Lambda"
        /// The Lambda `bootstrap` of both functions.
        case lambda = "Lambda bootstrap"
        /// `cakap aws deploy` and the other `cakap aws` commands.
        case aws = "cakap aws"
    }
}

extension Dictionary where Key == String, Value == String {
    /// The value of `setting` in this environment, or nil when it is unset or empty (an empty
    /// value means "the default" everywhere in Cakap).
    public subscript(setting: Setting) -> String? {
        guard let value = self[setting.name], !value.isEmpty else { return nil }
        return value
    }
}

/// The process's environment: the one place Cakap reads it. Every setting goes through
/// `Settings` and a dictionary taken from here, so a test can prove that nothing reads a
/// variable the registry does not declare.
public enum ProcessEnvironment {
    /// The variables this process was started with (also what child processes inherit).
    public static var current: [String: String] { ProcessInfo.processInfo.environment }
}
