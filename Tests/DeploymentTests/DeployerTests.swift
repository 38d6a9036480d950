import Deployment
import Foundation
import Testing

/// The deployer's decisions over a scripted `aws` (the moto test in tests/infra runs the real CLI).
@Suite struct DeployerTests {
    /// Answers a command containing all the given words (the newest rule first); records every call.
    final class ScriptedCloud: CloudControl, @unchecked Sendable {
        var calls: [(arguments: [String], region: String)] = []
        var answers: [(words: [String], result: Result<String, CloudCommandError>)] = []
        let lock = NSLock()

        /// Runs before a command is answered (e.g. writes the file an `aws lambda invoke` would).
        var beforeAnswering: ([String]) -> Void = { _ in }

        func on(_ words: String..., answer: String) { answers.append((words, .success(answer))) }
        func on(_ words: String..., failWith message: String) {
            answers.append(
                (words, .failure(CloudCommandError(command: words.joined(separator: " "), message: message))))
        }

        func aws(_ arguments: [String], region: String) throws -> String {
            lock.withLock { calls.append((arguments, region)) }
            beforeAnswering(arguments)
            for (words, result) in answers.reversed() where words.allSatisfy(arguments.contains) {
                return try result.get()
            }
            return "null"
        }

        func put(file: String, to url: String) throws {}

        func commands(_ verb: String) -> [[String]] {
            calls.filter { $0.arguments.count > 1 && $0.arguments[1] == verb }.map(\.arguments)
        }
    }

    static let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().path

    func deployer(_ cloud: ScriptedCloud) throws -> Deployer {
        let plan = try StackPlan.load(fromFile: Self.repository + "/infra/stacks.json", repository: Self.repository)
        return Deployer(plan: plan, repository: Self.repository, cloud: cloud, progress: { _ in })
    }

    @Test func aStackLeftInRollbackCompleteIsDeletedAndCreatedAgain() throws {
        let cloud = ScriptedCloud()
        cloud.on("describe-stacks", "Stacks[0].StackStatus", answer: #""ROLLBACK_COMPLETE""#)
        _ = try deployer(cloud).deploy(artefactFiles: [:], only: ["lks-auth"])
        let verbs = cloud.calls.map { $0.arguments[1] }
        let delete = try #require(verbs.firstIndex(of: "delete-stack"))
        let create = try #require(verbs.firstIndex(of: "create-stack"))
        #expect(delete < create)
        #expect(cloud.commands("update-stack").isEmpty)
    }

    @Test func anUnchangedStackIsNotAnError() throws {
        let cloud = ScriptedCloud()
        cloud.on("describe-stacks", "Stacks[0].StackStatus", answer: #""CREATE_COMPLETE""#)
        cloud.on(
            "cloudformation", "update-stack",
            failWith: "An error occurred (ValidationError): No updates are to be performed.")
        _ = try deployer(cloud).deploy(artefactFiles: [:], only: ["lks-auth"])
        #expect(cloud.commands("wait").isEmpty)
    }

    @Test func aFailedCreateNamesTheFirstFailedResource() throws {
        let cloud = ScriptedCloud()
        cloud.on("describe-stacks", "Stacks[0].StackStatus", failWith: "Stack with id lks-auth does not exist")
        cloud.on("cloudformation", "wait", failWith: "Waiter StackCreateComplete failed")
        cloud.on(
            "cloudformation", "describe-stack-events",
            answer:
                #"[{"LogicalResourceId": "UserPoolClient", "ResourceStatusReason": "late"}, {"LogicalResourceId": "UserPool", "ResourceStatusReason": "not allowed"}]"#
        )
        #expect(throws: DeploymentError.self) { try deployer(cloud).deploy(artefactFiles: [:], only: ["lks-auth"]) }
        do {
            _ = try deployer(cloud).deploy(artefactFiles: [:], only: ["lks-auth"])
        } catch {
            #expect("\(error)".contains("UserPool: not allowed"))
        }
    }

    @Test func parametersComeFromOutputsOfTheOtherRegionAndTagsFromThePlan() throws {
        let cloud = ScriptedCloud()
        cloud.on(
            "describe-stacks", "lks-peering-routes-zone-b", "Stacks[0].StackStatus", failWith: "does not exist"
        )
        cloud.on(
            "describe-stacks", "lks-peering", "Stacks[0].Outputs",
            answer: #"[{"OutputKey": "PeeringConnectionId", "OutputValue": "pcx-123"}]"#)
        cloud.on(
            "describe-stacks", "lks-network-zone-b", "Stacks[0].Outputs",
            answer: #"[{"OutputKey": "PrivateRouteTableId", "OutputValue": "rtb-9"}]"#)
        _ = try deployer(cloud).deploy(artefactFiles: [:], only: ["lks-peering-routes-zone-b"])
        let create = try #require(cloud.calls.first { $0.arguments.count > 1 && $0.arguments[1] == "create-stack" })
        #expect(create.region == "us-west-2")
        let parameters = try #require(create.arguments.firstIndex(of: "--parameters")).advanced(by: 1)
        #expect(create.arguments[parameters].contains(#""ParameterValue":"pcx-123""#))
        #expect(create.arguments.contains("Key=Project,Value=cakap"))
    }

    @Test func leftoversIgnoreTerminatedInstances() throws {
        let cloud = ScriptedCloud()
        cloud.on("cloudformation", "list-stacks", answer: #"["lks-network-zone-a", "someone-else"]"#)
        cloud.on(
            "resourcegroupstaggingapi", "get-resources",
            answer: #"["arn:aws:ec2:us-east-1:1:instance/i-1", "arn:aws:ec2:us-east-1:1:vpc/vpc-2"]"#)
        cloud.on("ec2", "describe-instances", answer: #"["i-1"]"#)
        let left = try deployer(cloud).leftovers(regions: ["us-east-1"])
        #expect(left == ["us-east-1: stack lks-network-zone-a", "us-east-1: arn:aws:ec2:us-east-1:1:vpc/vpc-2"])
    }
}
