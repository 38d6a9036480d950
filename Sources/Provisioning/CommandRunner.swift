import CakapSettings
import ChildProcess
import Foundation

/// Runs an external command to completion, its output going to a log file.
public struct CommandRunner: Sendable {
    public init() {}

    /// Runs `arguments[0]` with the rest as arguments.
    /// - Throws: `ProvisioningError` with the log's last lines when it exits non-zero.
    public func run(_ arguments: [String], logTo logPath: String, environment: [String: String] = [:]) throws {
        _ = FileManager.default.createFile(atPath: logPath, contents: nil)
        let child: ChildProcess
        do {
            child = try ChildProcess(
                executable: arguments[0], arguments: Array(arguments.dropFirst()), outputPath: logPath,
                environment: ProcessEnvironment.current.merging(environment) { $1 })
        } catch {
            throw ProvisioningError("cannot start \(arguments[0]): \(error)")
        }
        let status = child.waitUntilExit()
        guard status == 0 else {
            let tail = Self.lastLines(of: logPath, count: 15)
            throw ProvisioningError(
                "\(arguments.joined(separator: " ")) failed (exit \(status)); log \(logPath):\n\(tail)")
        }
    }

    /// Runs a command and returns its output (standard output and error), or nil when it cannot
    /// start or exits non-zero. For short queries such as `--version`.
    public func output(of arguments: [String]) -> String? {
        let capture = NSTemporaryDirectory() + "cakap-output-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: capture) }
        guard
            let child = try? ChildProcess(
                executable: arguments[0], arguments: Array(arguments.dropFirst()), outputPath: capture),
            child.waitUntilExit() == 0
        else { return nil }
        return (try? String(contentsOfFile: capture, encoding: .utf8)) ?? ""
    }

    static func lastLines(of path: String, count: Int) -> String {
        let text = (try? String(contentsOfFile: path, encoding: .utf8)) ?? ""
        return text.split(separator: "\n").suffix(count).joined(separator: "\n")
    }
}

/// A setup step that failed, with a message for a person.
public struct ProvisioningError: Error, CustomStringConvertible, Sendable {
    public var description: String

    public init(_ description: String) {
        self.description = description
    }
}
