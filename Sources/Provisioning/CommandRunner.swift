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
                environment: ProcessInfo.processInfo.environment.merging(environment) { $1 })
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

    /// Runs a command and returns its standard output (for short queries such as `--version`).
    public func output(of arguments: [String]) -> String? {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = arguments
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        process.standardInput = FileHandle.nullDevice
        guard (try? process.run()) != nil else { return nil }
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return process.terminationStatus == 0 ? String(decoding: data, as: UTF8.self) : nil
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
