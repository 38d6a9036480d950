import Foundation

extension Deployer {
    /// The `postDeploy` steps of infra/stacks.json for the stacks just deployed: a new API
    /// deployment (CloudFormation does not redeploy an API whose methods changed), the web bundle
    /// to Amplify, and a playbook run now rather than at the association's next schedule.
    func postDeploy(stacks: [StackPlan.Stack], outputs: [String: [String: String]], files: [String: String]) throws {
        let names = Set(stacks.map(\.name))
        if names.contains("lks-api"), let api = outputs["lks-api"], let id = api["RestApiId"],
            let stage = api["StageName"]
        {
            progress("new API deployment of \(id) to \(stage)")
            _ = try cloud.aws(
                ["apigateway", "create-deployment", "--rest-api-id", id, "--stage-name", stage], region: "us-east-1")
        }
        if names.contains("lks-web"), let web = outputs["lks-web"], let app = web["WebAppId"],
            let branch = web["WebBranchName"], let bundle = files["web"]
        {
            struct Job: Decodable {
                var jobId: String
                var zipUploadUrl: String
            }
            progress("deploying the web app to Amplify \(app)/\(branch)")
            let configured = try configuredWebBundle(bundle, outputs: outputs)
            let job = try decode(
                try cloud.aws(
                    ["amplify", "create-deployment", "--app-id", app, "--branch-name", branch], region: "us-east-1"),
                as: Job.self)
            try cloud.put(file: configured, to: job.zipUploadUrl)
            _ = try cloud.aws(
                ["amplify", "start-deployment", "--app-id", app, "--branch-name", branch, "--job-id", job.jobId],
                region: "us-east-1")
        }
        for stack in stacks where stack.name.hasPrefix("lks-fleet-") {
            // Best effort: the association also runs on its own schedule (every 30 minutes).
            do {
                let ids =
                    try decode(
                        try cloud.aws(
                            [
                                "ssm", "list-associations", "--query",
                                "Associations[?starts_with(AssociationName, 'lks-worker-playbook-')].AssociationId",
                            ], region: stack.region), as: [String]?.self) ?? []
                guard !ids.isEmpty else { continue }
                progress("running the worker playbook now in \(stack.region)")
                _ = try cloud.aws(["ssm", "start-associations-once", "--association-ids"] + ids, region: stack.region)
            } catch {
                progress("    could not start the playbook now (\(error)); it runs at the association's next schedule")
            }
        }
    }

    /// The web bundle with its `config.js` from the API and user pool stacks' outputs (those of
    /// this run, or read back when they were deployed earlier): `WebAppConfiguration` with the
    /// plan's regions. `cakap aws web-bundle` makes the same from outputs it is given.
    /// - Parameters:
    ///   - bundle: the web artefact (`web.zip`), left as it is.
    ///   - outputs: outputs by stack name; `lks-api`'s `ApiUrl` and `lks-auth`'s `UserPoolId` and
    ///     `UserPoolClientId` are read from AWS when their stack is missing here.
    /// - Returns: the path of the configured copy.
    public func configuredWebBundle(_ bundle: String, outputs: [String: [String: String]]) throws -> String {
        let api = try outputs["lks-api"] ?? stackOutputs("lks-api", region: "us-east-1")
        let auth = try outputs["lks-auth"] ?? stackOutputs("lks-auth", region: "us-east-1")
        guard let apiURL = api["ApiUrl"], let poolId = auth["UserPoolId"], let clientId = auth["UserPoolClientId"]
        else {
            throw DeploymentError(
                description: "the web app needs lks-api.ApiUrl and lks-auth's pool ids: deploy them first")
        }
        let regions = Array(Set(plan.stacks.map(\.region))).sorted()
        let script = try WebAppConfiguration.script(
            apiURL: apiURL, userPoolId: poolId, clientId: clientId, regions: regions)
        return try WebAppConfiguration.bundle(bundle, adding: script)
    }
}
