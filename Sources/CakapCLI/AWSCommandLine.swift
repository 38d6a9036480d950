import CakapSettings
import ChildProcess
import Deployment
import Foundation

/// The real `aws` command line (CloudControl): JSON output, no pager, standard error kept apart
/// so a warning never corrupts the JSON. `endpointURL` points every call at a stand-in (moto).
struct AWSCommandLine: CloudControl {
    var endpointURL: String?
    var executable = "aws"

    func aws(_ arguments: [String], region: String) throws -> String {
        let folder = NSTemporaryDirectory() + "cakap-aws-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        var full = arguments + ["--region", region, "--output", "json"]
        if arguments.first == "s3" { full.append("--only-show-errors") }
        if let endpointURL { full += ["--endpoint-url", endpointURL] }
        var environment = ProcessEnvironment.current
        environment["AWS_PAGER"] = ""
        let process: ChildProcess
        do {
            process = try ChildProcess(
                executable: executable, arguments: full, outputPath: folder + "/out", errorPath: folder + "/err",
                environment: environment)
        } catch {
            throw CloudCommandError(
                command: arguments.prefix(2).joined(separator: " "),
                message: "cannot run `aws` (install the AWS CLI): \(error)")
        }
        let status = process.waitUntilExit()
        let output = (try? String(contentsOfFile: folder + "/out", encoding: .utf8)) ?? ""
        guard status == 0 else {
            let error = (try? String(contentsOfFile: folder + "/err", encoding: .utf8)) ?? ""
            throw CloudCommandError(
                command: arguments.prefix(2).joined(separator: " "),
                message: error.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty
                    ? "exit \(status)" : error.trimmingCharacters(in: .whitespacesAndNewlines))
        }
        return output
    }

    func put(file: String, to url: String) throws {
        let log = NSTemporaryDirectory() + "cakap-upload-\(UUID().uuidString).log"
        defer { try? FileManager.default.removeItem(atPath: log) }
        let process = try ChildProcess(
            executable: "curl", arguments: ["--fail", "--silent", "--show-error", "-T", file, url], outputPath: log)
        guard process.waitUntilExit() == 0 else {
            throw CloudCommandError(
                command: "upload", message: (try? String(contentsOfFile: log, encoding: .utf8)) ?? "curl failed")
        }
    }
}
