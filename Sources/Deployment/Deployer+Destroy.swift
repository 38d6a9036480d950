import Foundation

extension Deployer {
    /// Deletes the selected stacks in reverse order (emptying artefact buckets first, removing the
    /// file system's backup recovery points after its stack), then returns what is left: stacks
    /// not deleted, resources still tagged `Project=cakap`, recovery points that could not be
    /// deleted. A stack whose deletion fails does not stop the others (issue 20): the failed ones
    /// get a second attempt at the end (a Lambda's network interfaces, for example, release the
    /// security group only minutes later), and whatever still fails is reported with its reason.
    public func destroy(only: Set<String>? = nil) throws -> [String] {
        let stacks = try selected(only)
        var failed: [(stack: StackPlan.Stack, reason: String)] = []
        var left: [String] = []
        for stack in stacks.reversed() {
            if let reason = try delete(stack, left: &left) { failed.append((stack, reason)) }
        }
        var stillFailing: [String] = []
        for (stack, _) in failed {
            progress("retrying \(stack.name) (\(stack.region))")
            if let reason = try delete(stack, left: &left) {
                stillFailing.append("\(stack.region): \(stack.name) \(reason)")
            }
        }
        return stillFailing + left + (try leftovers(regions: Set(stacks.map(\.region))))
    }

    /// Deletes one stack and waits; nil when it is gone (or was never deployed), else why not.
    func delete(_ stack: StackPlan.Stack, left: inout [String]) throws -> String? {
        let outputs: [String: String]
        do {
            outputs = try stackOutputs(stack.name, region: stack.region)
        } catch let error as CloudCommandError where error.isMissingStack {
            progress("\(stack.name) (\(stack.region)): not deployed")
            return nil
        }
        do {
            if let bucket = outputs["ArtefactBucketName"] {
                progress("emptying s3://\(bucket)")
                _ = try cloud.aws(["s3", "rm", "s3://\(bucket)", "--recursive"], region: stack.region)
            }
            progress("deleting \(stack.name) (\(stack.region)) …")
            _ = try cloud.aws(["cloudformation", "delete-stack", "--stack-name", stack.name], region: stack.region)
            _ = try cloud.aws(
                ["cloudformation", "wait", "stack-delete-complete", "--stack-name", stack.name], region: stack.region)
        } catch let error as CloudCommandError {
            let reason = firstFailure(stack) ?? error.message
            progress("    \(stack.name) was not deleted: \(reason)")
            return "not deleted: \(reason)"
        }
        if let fileSystem = outputs["FileSystemId"] {
            left += deleteRecoveryPoints(fileSystem: fileSystem, region: stack.region)
        }
        return nil
    }

    /// Deletes the AWS Backup recovery points of a file system (`BackupPolicy: ENABLED` makes
    /// daily ones in `aws/efs/automatic-backup-vault`, which outlive the file system and are
    /// billed: R-OPS-5). Returns the ones that could not be deleted. When they cannot even be
    /// listed (no permission; a stand-in without AWS Backup) it says so and returns nothing.
    func deleteRecoveryPoints(fileSystem: String, region: String) -> [String] {
        struct Point: Decodable {
            var arn: String
            var vault: String
            enum CodingKeys: String, CodingKey {
                case arn = "RecoveryPointArn"
                case vault = "BackupVaultName"
            }
        }
        let points: [Point]
        do {
            let account = try decode(
                try cloud.aws(["sts", "get-caller-identity", "--query", "Account"], region: region), as: String.self)
            let resource = "arn:aws:elasticfilesystem:\(region):\(account):file-system/\(fileSystem)"
            points =
                try decode(
                    try cloud.aws(
                        [
                            "backup", "list-recovery-points-by-resource", "--resource-arn", resource, "--query",
                            "RecoveryPoints[].{RecoveryPointArn: RecoveryPointArn, BackupVaultName: BackupVaultName}",
                        ], region: region), as: [Point]?.self) ?? []
        } catch {
            progress("    could not list the recovery points of \(fileSystem) (\(error)); check AWS Backup by hand")
            return []
        }
        var left: [String] = []
        for point in points {
            progress("    deleting recovery point \(point.arn)")
            do {
                _ = try cloud.aws(
                    [
                        "backup", "delete-recovery-point", "--backup-vault-name", point.vault, "--recovery-point-arn",
                        point.arn,
                    ], region: region)
            } catch {
                left.append("\(region): recovery point \(point.arn) (\(error))")
            }
        }
        return left
    }

    /// Stacks named `lks-…` not deleted, and resources still tagged `Project=cakap` (terminated
    /// instances aside), per region.
    public func leftovers(regions: Set<String>) throws -> [String] {
        var left: [String] = []
        for region in regions.sorted() {
            let stacks =
                try decode(
                    try cloud.aws(
                        [
                            "cloudformation", "list-stacks", "--query",
                            "StackSummaries[?StackStatus!='DELETE_COMPLETE'].StackName",
                        ], region: region), as: [String]?.self) ?? []
            left += stacks.filter { $0.hasPrefix("lks-") }.map { "\(region): stack \($0)" }
            let tagged =
                try decode(
                    try cloud.aws(
                        [
                            "resourcegroupstaggingapi", "get-resources", "--tag-filters", "Key=Project,Values=cakap",
                            "--query", "ResourceTagMappingList[].ResourceARN",
                        ], region: region), as: [String]?.self) ?? []
            // Terminated instances stay visible (tagged) for a while after they are gone.
            let terminated = Set(
                try decode(
                    try cloud.aws(
                        [
                            "ec2", "describe-instances", "--filters", "Name=tag:Project,Values=cakap",
                            "Name=instance-state-name,Values=terminated,shutting-down", "--query",
                            "Reservations[].Instances[].InstanceId",
                        ], region: region), as: [String]?.self) ?? [])
            left += tagged.filter { arn in !terminated.contains(where: { arn.hasSuffix("/" + $0) }) }
                .map { "\(region): \($0)" }
        }
        return left
    }
}
