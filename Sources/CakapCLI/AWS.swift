import ArgumentParser
import Deployment
import Foundation

/// `cakap aws`: the AWS deployment (issue 7).
struct AWS: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "aws", abstract: "The AWS deployment of both regions.",
        subcommands: [Plan.self, Deploy.self, Smoke.self, Rehearse.self, WebBundle.self, Destroy.self, Cost.self])

    struct Plan: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "The ordered stacks with region, template, parameters and dependencies (checked).")

        @Flag(help: "Machine-readable output.") var json = false
        @Option(help: "The stack plan (default: infra/stacks.json of the checkout, see CAKAP_REPOSITORY).")
        var stacks: String?

        func run() async throws {
            let (plan, _) = try AWSOptions.loadPlan(stacks)
            if json {
                let document = plan.stacks.enumerated().map { index, stack -> [String: Any] in
                    [
                        "order": index + 1, "name": stack.name, "region": stack.region, "template": stack.template,
                        "dependsOn": plan.dependencies(of: stack),
                        "parameters": (stack.parameters ?? [:]).mapValues(Self.describe),
                    ]
                }
                let data = try JSONSerialization.data(
                    withJSONObject: document, options: [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes])
                print(String(decoding: data, as: UTF8.self))
                return
            }
            for (index, stack) in plan.stacks.enumerated() {
                print(
                    String(format: "%2d ", index + 1) + stack.name.padding(toLength: 28, withPad: " ", startingAt: 0)
                        + stack.region.padding(toLength: 11, withPad: " ", startingAt: 0) + stack.template)
                for (name, source) in (stack.parameters ?? [:]).sorted(by: { $0.key < $1.key }) {
                    print("      \(name) = \(Self.describe(source))")
                }
            }
        }

        static func describe(_ source: StackPlan.ParameterSource) -> String {
            switch source {
            case .value(let value): value
            case .output(let stack, let key): "output \(key) of \(stack)"
            case .artefact(let name): "artefact \(name)"
            case .ssmParameterOnce(let name): "SSM \(name) (read at create, kept on update)"
            case .setting(let name): "setting \(name)"
            }
        }
    }
}
