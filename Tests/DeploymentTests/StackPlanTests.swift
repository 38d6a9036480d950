import Deployment
import Foundation
import Testing

/// infra/stacks.json is a deployable order (R-OPS-5: destroy walks it backwards).
@Suite struct StackPlanTests {
    static let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().path

    @Test func theRepositoryPlanIsConsistent() throws {
        let plan = try StackPlan.load(fromFile: Self.repository + "/infra/stacks.json", repository: Self.repository)
        #expect(plan.stacks.count >= 10)
        #expect(Set(plan.stacks.map(\.region)) == ["us-east-1", "us-west-2"])
        #expect(plan.stacks.allSatisfy { $0.name.hasPrefix("lks-") })  // R-OPS-3
    }

    @Test func anOutputReadBeforeItsStackIsRefused() throws {
        let text = #"""
            {"artefacts": [], "stacks": [
              {"name": "lks-b", "region": "us-east-1", "template": "Package.swift", "parameters": {"X": {"stack": "lks-a", "output": "Y"}}},
              {"name": "lks-a", "region": "us-east-1", "template": "Package.swift"}]}
            """#
        let path = NSTemporaryDirectory() + "stacks-\(UUID().uuidString).json"
        defer { try? FileManager.default.removeItem(atPath: path) }
        try Data(text.utf8).write(to: URL(fileURLWithPath: path))
        #expect(throws: DeploymentError.self) { try StackPlan.load(fromFile: path, repository: Self.repository) }
    }

    @Test func aMissingTemplateOrArtefactIsRefused() throws {
        for stack in [
            #"{"name": "lks-a", "region": "us-east-1", "template": "infra/none.yaml"}"#,
            #"{"name": "lks-a", "region": "us-east-1", "template": "Package.swift", "parameters": {"K": {"artefact": "web"}}}"#,
        ] {
            let path = NSTemporaryDirectory() + "stacks-\(UUID().uuidString).json"
            defer { try? FileManager.default.removeItem(atPath: path) }
            try Data(#"{"artefacts": [], "stacks": [\#(stack)]}"#.utf8).write(to: URL(fileURLWithPath: path))
            #expect(throws: DeploymentError.self) { try StackPlan.load(fromFile: path, repository: Self.repository) }
        }
    }
}
