import ArgumentParser
import Deployment
import Foundation

extension AWS {
    /// `cakap aws web-bundle`: the web app's Amplify bundle exactly as `cakap aws deploy` uploads it
    /// (`web.zip` with the `config.js` `WebAppConfiguration` makes), from stack outputs given on the
    /// command line: to redeploy the web app by hand, or for the rehearsal's browser (no account).
    struct WebBundle: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "web-bundle",
            abstract: "Write the web app's Amplify bundle with the config.js a deploy makes, from given outputs.")

        @Option(help: "The web artefact (default: .build/artefacts/web.zip beside the stack plan's checkout).")
        var web: String?
        @Option(help: "The API's stage URL (lks-api's ApiUrl).") var apiUrl: String
        @Option(help: "The user pool id (lks-auth's UserPoolId).") var userPoolId: String
        @Option(help: "Its app client id (lks-auth's UserPoolClientId).") var clientId: String
        @Option(help: "Where to write the bundle (replaced if it exists).") var output: String
        @Option(help: "The stack plan, whose regions the app offers (default: infra/stacks.json of the checkout).")
        var stacks: String?

        func run() async throws {
            let (plan, repository) = try AWSOptions.loadPlan(stacks)
            let web = self.web ?? repository + "/.build/artefacts/web.zip"
            guard FileManager.default.fileExists(atPath: web) else {
                throw ValidationError("no web artefact at \(web): run scripts/build-artefacts, or pass --web")
            }
            let outputs = [
                "lks-api": ["ApiUrl": apiUrl], "lks-auth": ["UserPoolId": userPoolId, "UserPoolClientId": clientId],
            ]
            let configured: String
            do {
                let deployer = Deployer(
                    plan: plan, repository: repository, cloud: AWSCommandLine(endpointURL: nil),
                    progress: { say($0) })
                configured = try deployer.configuredWebBundle(web, outputs: outputs)
            } catch let error as DeploymentError {
                throw ValidationError(error.description)
            }
            let files = FileManager.default
            if files.fileExists(atPath: output) { try files.removeItem(atPath: output) }
            try files.moveItem(atPath: configured, toPath: output)
            try? files.removeItem(atPath: (configured as NSString).deletingLastPathComponent)
            say("wrote \(output)")
        }
    }
}
