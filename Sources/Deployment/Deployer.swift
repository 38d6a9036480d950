import CakapSettings
import Foundation

/// The `aws` command line as a seam: `AWSCommandLine` (in the CLI) runs the real one;
/// unit tests script the answers.
public protocol CloudControl: Sendable {
    /// Runs `aws <arguments>` in `region` with JSON output and returns standard output.
    /// - Throws: `CloudCommandError` with the command's standard error when it fails.
    func aws(_ arguments: [String], region: String) throws -> String
    /// Uploads a file with HTTP PUT to a presigned URL (Amplify's manual deployment).
    func put(file: String, to url: String) throws
}

/// An `aws` command that failed.
public struct CloudCommandError: Error, CustomStringConvertible, Sendable {
    public var command: String
    public var message: String

    public init(command: String, message: String) {
        self.command = command
        self.message = message
    }

    public var description: String { "aws \(command): \(message)" }

    /// CloudFormation's answer for a stack that does not exist.
    public var isMissingStack: Bool { message.contains("does not exist") }
}

/// Deploys and destroys the plan's stacks in order, passing outputs between stacks (across
/// regions) and uploading the artefacts right after the bucket of their region exists.
public struct Deployer: Sendable {
    let plan: StackPlan
    let repository: String
    let cloud: any CloudControl
    let progress: @Sendable (String) -> Void
    /// Where `.setting` parameters come from (the process environment; tests pass their own).
    public var environment: [String: String] = ProcessEnvironment.current

    /// Tag put on every stack (and so on every resource CloudFormation tags).
    public static let projectTag = "Project=cakap"

    public init(
        plan: StackPlan, repository: String, cloud: any CloudControl, progress: @escaping @Sendable (String) -> Void
    ) {
        self.plan = plan
        self.repository = repository
        self.cloud = cloud
        self.progress = progress
    }

    /// The stacks to work on: all, or those named in `only` (in plan order).
    public func selected(_ only: Set<String>?) throws -> [StackPlan.Stack] {
        if let only {
            let unknown = only.subtracting(plan.stacks.map(\.name))
            guard unknown.isEmpty else {
                throw DeploymentError(description: "not in the plan: \(unknown.sorted().joined(separator: ", "))")
            }
        }
        return plan.stacks.filter { only?.contains($0.name) ?? true }
    }

    /// Deploys the selected stacks in order and returns every stack's outputs.
    /// - Parameter artefactFiles: the built file of each artefact, by name; an artefact a selected
    ///   stack needs but that has no file is an error before anything is deployed.
    public func deploy(artefactFiles: [String: String], only: Set<String>? = nil) throws -> [String: [String: String]] {
        let stacks = try selected(only)
        try checkArtefacts(for: stacks, files: artefactFiles)
        var outputs: [String: [String: String]] = [:]
        for (index, stack) in stacks.enumerated() {
            progress("[\(index + 1)/\(stacks.count)] \(stack.name) (\(stack.region)) …")
            let status = try currentStatus(of: stack)
            var parameters: [[String: Any]] = []
            for (name, source) in (stack.parameters ?? [:]).sorted(by: { $0.key < $1.key }) {
                if case .ssmParameterOnce = source, status != nil, status != "ROLLBACK_COMPLETE" {
                    parameters.append(["ParameterKey": name, "UsePreviousValue": true])
                    continue
                }
                parameters.append([
                    "ParameterKey": name,
                    "ParameterValue": try value(
                        of: source, outputs: &outputs, files: artefactFiles, region: stack.region),
                ])
            }
            let started = Date()
            try createOrUpdate(
                stack, status: status, parameters: parameters,
                template: try templateArguments(for: stack, outputs: &outputs))
            outputs[stack.name] = try stackOutputs(stack.name, region: stack.region)
            progress(String(format: "    done in %.0f s", Date().timeIntervalSince(started)))
            if stack.name.hasPrefix("lks-artefacts-") {
                try upload(into: stack, outputs: outputs[stack.name] ?? [:], files: artefactFiles)
            }
            if stack.name == "lks-api" {
                try invokeDatabaseOwner(of: stack, outputs: outputs[stack.name] ?? [:])
            }
        }
        try postDeploy(stacks: stacks, outputs: outputs, files: artefactFiles)
        return outputs
    }

    // MARK: - Pieces

    /// create-stack or update-stack, then waits. Explicit calls rather than `cloudformation deploy`:
    /// the same on AWS, and moto gives change-set stacks no outputs. A stack left in
    /// ROLLBACK_COMPLETE by a failed first create is deleted and created again; a failure names
    /// the first resource that failed.
    func createOrUpdate(
        _ stack: StackPlan.Stack, status: String?, parameters: [[String: Any]], template: [String]
    ) throws {
        let region = stack.region
        var status = status
        if status == "ROLLBACK_COMPLETE" {
            progress("    \(stack.name) is in ROLLBACK_COMPLETE from an earlier failure; deleting it first")
            _ = try cloud.aws(["cloudformation", "delete-stack", "--stack-name", stack.name], region: region)
            _ = try cloud.aws(
                ["cloudformation", "wait", "stack-delete-complete", "--stack-name", stack.name], region: region)
            status = nil
        }
        let parameterJSON = String(decoding: try JSONSerialization.data(withJSONObject: parameters), as: UTF8.self)
        let common =
            ["--stack-name", stack.name] + template + [
                "--parameters", parameterJSON, "--tags", "Key=Project,Value=cakap",
            ]
        do {
            if status == nil {
                _ = try cloud.aws(["cloudformation", "create-stack"] + common, region: region)
                _ = try cloud.aws(
                    ["cloudformation", "wait", "stack-create-complete", "--stack-name", stack.name], region: region)
            } else {
                do {
                    _ = try cloud.aws(["cloudformation", "update-stack"] + common, region: region)
                } catch let error as CloudCommandError where error.message.contains("No updates are to be performed") {
                    progress("    no changes")
                    return
                }
                _ = try cloud.aws(
                    ["cloudformation", "wait", "stack-update-complete", "--stack-name", stack.name], region: region)
            }
        } catch let error as CloudCommandError {
            throw DeploymentError(
                description: "\(stack.name) (\(region)) failed: \(firstFailure(stack) ?? error.description)")
        }
    }

    /// The stack's status, nil when it does not exist.
    func currentStatus(of stack: StackPlan.Stack) throws -> String? {
        do {
            return try decode(
                try cloud.aws(
                    [
                        "cloudformation", "describe-stacks", "--stack-name", stack.name, "--query",
                        "Stacks[0].StackStatus",
                    ],
                    region: stack.region), as: String?.self)
        } catch let error as CloudCommandError where error.isMissingStack {
            return nil
        }
    }

    /// The first failed resource event of a stack, for the error message.
    func firstFailure(_ stack: StackPlan.Stack) -> String? {
        struct Event: Decodable {
            var logicalResourceId: String?
            var resourceStatusReason: String?

            enum CodingKeys: String, CodingKey {
                case logicalResourceId = "LogicalResourceId"
                case resourceStatusReason = "ResourceStatusReason"
            }
        }
        let text = try? cloud.aws(
            [
                "cloudformation", "describe-stack-events", "--stack-name", stack.name, "--query",
                "StackEvents[?ends_with(ResourceStatus, 'FAILED')]",
            ], region: stack.region)
        guard let text, let decoded = try? decode(text, as: [Event]?.self), let first = decoded.last else {
            return nil
        }
        return "\(first.logicalResourceId ?? "?"): \(first.resourceStatusReason ?? "no reason given")"
    }

    func checkArtefacts(for stacks: [StackPlan.Stack], files: [String: String]) throws {
        let needed = Set(
            stacks.flatMap { stack in
                (stack.parameters ?? [:]).values.compactMap { source -> String? in
                    if case .artefact(let name) = source { return name }
                    return nil
                }
            })
        for name in needed.sorted() {
            guard let path = files[name], FileManager.default.fileExists(atPath: path) else {
                throw DeploymentError(description: "artefact \(name) is needed but was not built")
            }
        }
    }

    func value(
        of source: StackPlan.ParameterSource, outputs: inout [String: [String: String]], files: [String: String],
        region: String
    ) throws -> String {
        switch source {
        case .setting(let name):
            guard let setting = Settings.named(name), let value = environment[setting] else {
                throw DeploymentError(
                    description: "\(name) is not set (\(Settings.named(name)?.meaning ?? "undeclared"))")
            }
            return value
        case .ssmParameterOnce(let name):
            return try decode(
                try cloud.aws(["ssm", "get-parameter", "--name", name, "--query", "Parameter.Value"], region: region),
                as: String.self)
        case .value(let value):
            return value
        case .artefact(let name):
            guard let artefact = plan.artefacts.first(where: { $0.name == name }) else {
                throw DeploymentError(description: "unknown artefact \(name)")
            }
            return try Self.versionedKey(artefact.key, file: files[name])
        case .output(let stackName, let key):
            if outputs[stackName] == nil {
                guard let stack = plan.stacks.first(where: { $0.name == stackName }) else {
                    throw DeploymentError(description: "unknown stack \(stackName)")
                }
                outputs[stackName] = try stackOutputs(stackName, region: stack.region)  // deployed earlier
            }
            guard let value = outputs[stackName]?[key] else {
                throw DeploymentError(description: "stack \(stackName) has no output \(key); deploy it first")
            }
            return value
        }
    }

    struct Output: Decodable {
        var key: String
        var value: String

        enum CodingKeys: String, CodingKey {
            case key = "OutputKey"
            case value = "OutputValue"
        }
    }

    /// A deployed stack's outputs (read from CloudFormation).
    public func outputs(of stackName: String) throws -> [String: String] {
        guard let stack = plan.stacks.first(where: { $0.name == stackName }) else {
            throw DeploymentError(description: "unknown stack \(stackName)")
        }
        return try stackOutputs(stackName, region: stack.region)
    }

    func stackOutputs(_ name: String, region: String) throws -> [String: String] {
        let text = try cloud.aws(
            ["cloudformation", "describe-stacks", "--stack-name", name, "--query", "Stacks[0].Outputs"], region: region)
        let outputs = try decode(text, as: [Output]?.self) ?? []
        return Dictionary(outputs.map { ($0.key, $0.value) }) { $1 }
    }

    func upload(into stack: StackPlan.Stack, outputs: [String: String], files: [String: String]) throws {
        guard let bucket = outputs["ArtefactBucketName"] else {
            throw DeploymentError(description: "\(stack.name) has no ArtefactBucketName output")
        }
        for artefact in plan.artefacts where artefact.regions.contains(stack.region) {
            guard let path = files[artefact.name] else { continue }  // not needed by the selected stacks
            let key = try Self.versionedKey(artefact.key, file: path)
            progress("    uploading \(artefact.name) to s3://\(bucket)/\(key)")
            _ = try cloud.aws(["s3", "cp", path, "s3://\(bucket)/\(key)"], region: stack.region)
        }
    }

    func decode<T: Decodable>(_ text: String, as type: T.Type) throws -> T {
        let trimmed = text.trimmingCharacters(in: .whitespacesAndNewlines)
        do {
            return try JSONDecoder().decode(T.self, from: Data((trimmed.isEmpty ? "null" : trimmed).utf8))
        } catch {
            throw DeploymentError(description: "unexpected answer from aws: \(trimmed.prefix(200))")
        }
    }
}
