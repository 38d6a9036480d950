import Deployment
import Foundation
import Testing

/// Issue 20: artefacts under content-hashed keys (a redeploy updates the Lambda code), templates
/// over the inline limit read from S3, and a teardown that neither stops at the first failure nor
/// leaves the file system's backups behind (R-OPS-5).
@Suite struct DeployerTeardownTests {
    typealias ScriptedCloud = DeployerTests.ScriptedCloud

    func deployer(_ cloud: ScriptedCloud, repository: String = DeployerTests.repository) throws -> Deployer {
        let plan = try StackPlan.load(fromFile: repository + "/infra/stacks.json", repository: repository)
        var deployer = Deployer(plan: plan, repository: repository, cloud: cloud, progress: { _ in })
        deployer.environment = ["CAKAP_ALARM_EMAIL": "ops@example.com"]
        return deployer
    }

    func temporaryFile(_ text: String) throws -> String {
        let path = NSTemporaryDirectory() + "cakap-artefact-\(UUID().uuidString).zip"
        try Data(text.utf8).write(to: URL(fileURLWithPath: path))
        return path
    }

    @Test func aRebuiltArtefactGetsANewKeyAndAnUnchangedOneKeepsIt() throws {
        let first = try Deployer.versionedKey("lambda/tutor.zip", file: try temporaryFile("build 1"))
        let again = try Deployer.versionedKey("lambda/tutor.zip", file: try temporaryFile("build 1"))
        let second = try Deployer.versionedKey("lambda/tutor.zip", file: try temporaryFile("build 2"))
        #expect(first.range(of: #"^lambda/tutor-[0-9a-f]{16}\.zip$"#, options: .regularExpression) != nil)
        #expect(first == again)
        #expect(first != second)
        #expect(throws: DeploymentError.self) { try Deployer.versionedKey("lambda/tutor.zip", file: nil) }
    }

    @Test func uploadsUseTheVersionedKey() throws {
        let cloud = ScriptedCloud()
        cloud.on("describe-stacks", "Stacks[0].StackStatus", failWith: "does not exist")
        cloud.on(
            "describe-stacks", "lks-artefacts-zone-a", "Stacks[0].Outputs",
            answer: #"[{"OutputKey": "ArtefactBucketName", "OutputValue": "lks-artefacts-1-us-east-1"}]"#)
        let zip = try temporaryFile("the conversations function")
        _ = try deployer(cloud).deploy(artefactFiles: ["conversations-lambda": zip], only: ["lks-artefacts-zone-a"])
        let copy = try #require(cloud.commands("cp").first)
        let expected = try Deployer.versionedKey("lambda/conversations.zip", file: zip)
        #expect(copy.last == "s3://lks-artefacts-1-us-east-1/\(expected)")
    }

    @Test func aTemplateOverTheInlineLimitIsReadFromTheArtefactBucket() throws {
        let root = NSTemporaryDirectory() + "cakap-repo-\(UUID().uuidString)"
        let source = URL(fileURLWithPath: DeployerTests.repository)
        try FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: root) }
        try FileManager.default.copyItem(
            at: source.appendingPathComponent("infra"), to: URL(fileURLWithPath: root + "/infra"))
        let api = root + "/infra/cloudformation/us-east-1/api.yaml"
        let padded = try String(contentsOfFile: api, encoding: .utf8) + String(repeating: "# padding\n", count: 6000)
        try padded.write(toFile: api, atomically: true, encoding: .utf8)
        let cloud = ScriptedCloud()
        let deployer = try deployer(cloud, repository: root)
        let stack = try #require(try deployer.selected(["lks-api"]).first)
        var outputs = ["lks-artefacts-zone-a": ["ArtefactBucketName": "bucket-a"]]
        let arguments = try deployer.templateArguments(for: stack, outputs: &outputs)
        #expect(arguments.first == "--template-url")
        #expect(arguments.last?.hasPrefix("https://bucket-a.s3.us-east-1.amazonaws.com/templates/api-") == true)
        #expect(cloud.commands("cp").count == 1)
        let small = try #require(try deployer.selected(["lks-auth"]).first)
        #expect(try deployer.templateArguments(for: small, outputs: &outputs).first == "--template-body")
    }

    /// Issue 20: an SSM-typed image parameter re-resolved on every update and replaced every
    /// instance when Canonical published a new AMI. The id is read once, at create, and kept (R-LLM-2).
    @Test func theImageIdIsReadWhenTheStackIsCreatedAndKeptOnEveryUpdate() throws {
        func natParameters(status: String?) throws -> (parameters: [[String: Any]], ssmReads: Int) {
            let cloud = ScriptedCloud()
            if let status {
                cloud.on("describe-stacks", "Stacks[0].StackStatus", answer: "\"\(status)\"")
            } else {
                cloud.on(
                    "describe-stacks", "Stacks[0].StackStatus", failWith: "Stack with id lks-nat-zone-a does not exist")
            }
            for (stack, outputs) in [
                ("lks-network-zone-a", ["PublicSubnetId": "subnet-1", "PrivateRouteTableId": "rtb-1"]),
                ("lks-security-zone-a", ["NatSecurityGroupId": "sg-1"]),
                ("lks-artefacts-zone-a", ["AlarmTopicArn": "arn:aws:sns:us-east-1:1:lks-alarms-zone-a"]),
            ] {
                let json = outputs.map { #"{"OutputKey": "\#($0.key)", "OutputValue": "\#($0.value)"}"# }
                cloud.on("describe-stacks", stack, "Stacks[0].Outputs", answer: "[" + json.joined(separator: ",") + "]")
            }
            cloud.on("ssm", "get-parameter", answer: #""ami-0new""#)
            _ = try deployer(cloud).deploy(artefactFiles: [:], only: ["lks-nat-zone-a"])
            let call = try #require(cloud.commands(status == nil ? "create-stack" : "update-stack").first)
            let text = call[try #require(call.firstIndex(of: "--parameters")) + 1]
            let parameters = try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [[String: Any]])
            return (parameters, cloud.commands("get-parameter").count)
        }
        func image(_ parameters: [[String: Any]]) -> [String: Any]? {
            parameters.first { $0["ParameterKey"] as? String == "NatImageId" }
        }
        let created = try natParameters(status: nil)
        #expect(created.ssmReads == 1)
        #expect(image(created.parameters)?["ParameterValue"] as? String == "ami-0new")
        for status in ["CREATE_COMPLETE", "UPDATE_COMPLETE", "UPDATE_ROLLBACK_COMPLETE"] {
            let updated = try natParameters(status: status)
            #expect(updated.ssmReads == 0, "\(status)")
            #expect(image(updated.parameters)?["UsePreviousValue"] as? Bool == true, "\(status)")
            #expect(image(updated.parameters)?["ParameterValue"] == nil, "\(status)")
        }
    }

    @Test func teardownGoesOnPastAFailedStackRetriesItAndNamesIt() throws {
        let cloud = ScriptedCloud()
        cloud.on("cloudformation", "list-stacks", answer: #"["lks-monitoring"]"#)
        cloud.on("wait", "stack-delete-complete", "lks-monitoring", failWith: "Waiter failed: DELETE_FAILED")
        let left = try deployer(cloud).destroy()
        let deleted = cloud.commands("delete-stack").compactMap(\.last)
        #expect(deleted.filter { $0 == "lks-monitoring" }.count == 2)  // once, then the retry
        #expect(deleted.contains("lks-network-zone-a"))  // the stacks after it were still deleted
        #expect(left.contains { $0.contains("lks-monitoring not deleted") })
    }

    @Test func teardownDeletesTheFileSystemsRecoveryPoints() throws {
        let cloud = ScriptedCloud()
        cloud.on(
            "describe-stacks", "lks-storage", "Stacks[0].Outputs",
            answer: #"[{"OutputKey": "FileSystemId", "OutputValue": "fs-0abc"}]"#)
        cloud.on("sts", "get-caller-identity", answer: #""123456789012""#)
        cloud.on(
            "backup", "list-recovery-points-by-resource",
            answer: #"[{"RecoveryPointArn": "arn:rp-1", "BackupVaultName": "aws/efs/automatic-backup-vault"}]"#)
        _ = try deployer(cloud).destroy(only: ["lks-storage"])
        let listed = try #require(cloud.commands("list-recovery-points-by-resource").first)
        #expect(listed.contains("arn:aws:elasticfilesystem:us-east-1:123456789012:file-system/fs-0abc"))
        let deletion = try #require(cloud.commands("delete-recovery-point").first)
        #expect(deletion.contains("arn:rp-1") && deletion.contains("aws/efs/automatic-backup-vault"))
    }
}
