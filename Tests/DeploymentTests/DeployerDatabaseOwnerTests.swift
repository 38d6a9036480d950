import Deployment
import Foundation
import Testing

/// Issue 19: `cakap aws deploy` runs `lks-fn-db-owner` (migrations, the functions' role) right after
/// the api stack, and its function error fails the deploy.
@Suite struct DeployerDatabaseOwnerTests {
    typealias ScriptedCloud = DeployerTests.ScriptedCloud

    /// Every output the api stack's parameters read, and the api stack's own owner output.
    static func outputs() throws -> String {
        let plan = try JSONSerialization.jsonObject(
            with: Data(contentsOf: URL(fileURLWithPath: DeployerTests.repository + "/infra/stacks.json")))
        let stacks = (plan as? [String: Any])?["stacks"] as? [[String: Any]] ?? []
        let api = try #require(stacks.first { $0["name"] as? String == "lks-api" })
        var keys: Set<String> = ["OwnerFunctionName", "RestApiId", "StageName"]
        for case let source as [String: String] in (api["parameters"] as? [String: Any] ?? [:]).values {
            if let output = source["output"] { keys.insert(output) }
        }
        let entries = keys.sorted().map { #"{"OutputKey": "\#($0)", "OutputValue": "lks-fn-db-owner"}"# }
        return "[" + entries.joined(separator: ",") + "]"
    }

    func deploy(_ cloud: ScriptedCloud, folder: URL) throws {
        cloud.on("describe-stacks", "Stacks[0].Outputs", answer: try Self.outputs())
        cloud.on("describe-stacks", "Stacks[0].StackStatus", failWith: "Stack with id lks-api does not exist")
        var files: [String: String] = [:]
        for name in ["conversations-lambda", "tutor-lambda"] {
            let file = folder.appendingPathComponent("\(name).zip")
            try Data("zip".utf8).write(to: file)
            files[name] = file.path
        }
        let deployer = Deployer(
            plan: try StackPlan.load(
                fromFile: DeployerTests.repository + "/infra/stacks.json", repository: DeployerTests.repository),
            repository: DeployerTests.repository, cloud: cloud, progress: { _ in })
        _ = try deployer.deploy(artefactFiles: files, only: ["lks-api"])
    }

    func temporaryFolder() throws -> URL {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("owner-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        return folder
    }

    @Test func theOwnerRunsRightAfterTheApiStackAndBeforeTheApiDeployment() throws {
        let cloud = ScriptedCloud()
        cloud.on("lambda", "invoke", answer: #"{"StatusCode": 200, "ExecutedVersion": "$LATEST"}"#)
        let folder = try temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        try deploy(cloud, folder: folder)
        let verbs = cloud.calls.map { $0.arguments.prefix(2).joined(separator: " ") }
        let waited = try #require(verbs.lastIndex(of: "cloudformation wait"))
        let invoked = try #require(verbs.firstIndex(of: "lambda invoke"))
        #expect(verbs.filter { $0 == "lambda invoke" }.count == 1)
        #expect(waited < invoked)
        if let redeployed = verbs.firstIndex(of: "apigateway create-deployment") { #expect(invoked < redeployed) }
        let call = cloud.calls[invoked]
        #expect(call.region == "us-east-1")
        #expect(call.arguments.contains("lks-fn-db-owner"))
    }

    @Test func aFunctionErrorFailsTheDeployWithTheFunctionsMessage() throws {
        let cloud = ScriptedCloud()
        cloud.on("lambda", "invoke", answer: #"{"StatusCode": 200, "FunctionError": "Unhandled"}"#)
        cloud.beforeAnswering = { arguments in
            guard arguments.starts(with: ["lambda", "invoke"]), let response = arguments.last else { return }
            try? Data(
                #"{"errorMessage":"the database schema could not be prepared: permission denied","errorType":"Cakap.DatabaseOwnerError"}"#
                    .utf8
            ).write(to: URL(fileURLWithPath: response))
        }
        let folder = try temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        do {
            try deploy(cloud, folder: folder)
            Issue.record("the deploy succeeded although lks-fn-db-owner reported a FunctionError")
        } catch {
            #expect(error is DeploymentError)
            #expect("\(error)".contains("lks-fn-db-owner failed (Unhandled)"))
            #expect("\(error)".contains("permission denied"))
        }
        // Nothing after the failed owner run: the API is not redeployed over a database it cannot use.
        #expect(cloud.commands("create-deployment").isEmpty)
    }
}
