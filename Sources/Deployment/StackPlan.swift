import CakapSettings
import Foundation

/// The ordered CloudFormation stacks of a deployment (`infra/stacks.json`): what `cakap aws plan`
/// shows and what deploy and destroy walk, forwards and backwards.
public struct StackPlan: Decodable, Sendable {
    /// Where a stack parameter's value comes from.
    public enum ParameterSource: Decodable, Sendable, Equatable {
        /// A literal value.
        case value(String)
        /// An output of an earlier stack (possibly in the other region).
        case output(stack: String, key: String)
        /// The S3 key of a built artefact.
        case artefact(String)
        /// A public SSM parameter's value (an AMI id), read when the stack is created and kept on
        /// every update: a template parameter of an SSM type would re-resolve at each update and
        /// replace every instance when Canonical publishes a new image (issue 20).
        case ssmParameterOnce(String)
        /// A setting of `cakap aws deploy` (declared in `Settings`), e.g. the alarm e-mail.
        case setting(String)

        enum CodingKeys: String, CodingKey { case value, stack, output, artefact, ssmParameter, setting }

        public init(from decoder: any Decoder) throws {
            let container = try decoder.container(keyedBy: CodingKeys.self)
            if let stack = try container.decodeIfPresent(String.self, forKey: .stack) {
                self = .output(stack: stack, key: try container.decode(String.self, forKey: .output))
            } else if let artefact = try container.decodeIfPresent(String.self, forKey: .artefact) {
                self = .artefact(artefact)
            } else if let name = try container.decodeIfPresent(String.self, forKey: .ssmParameter) {
                self = .ssmParameterOnce(name)
            } else if let name = try container.decodeIfPresent(String.self, forKey: .setting) {
                self = .setting(name)
            } else if let text = try? container.decode(String.self, forKey: .value) {
                self = .value(text)
            } else if let number = try? container.decode(Double.self, forKey: .value) {
                self = .value(number.rounded() == number ? String(Int(number)) : String(number))
            } else {
                self = .value(String(try container.decode(Bool.self, forKey: .value)))
            }
        }
    }

    /// One stack.
    public struct Stack: Decodable, Sendable {
        public var name: String
        public var region: String
        public var template: String
        public var purpose: String?
        public var requirements: [String]?
        public var parameters: [String: ParameterSource]?
    }

    /// A built artefact uploaded before the stacks that read it.
    public struct Artefact: Decodable, Sendable {
        public var name: String
        public var key: String
        public var regions: [String]
    }

    public var stacks: [Stack]
    public var artefacts: [Artefact]

    /// Loads and checks a plan; template paths are relative to `repository`.
    public static func load(fromFile path: String, repository: String) throws -> StackPlan {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw DeploymentError(description: "cannot read \(path)")
        }
        let plan: StackPlan
        do {
            plan = try JSONDecoder().decode(StackPlan.self, from: data)
        } catch {
            throw DeploymentError(description: "\(path) is not a valid stack plan: \(error)")
        }
        try plan.validate(repository: repository)
        return plan
    }

    /// Every template exists, every output comes from an earlier stack, every artefact is declared
    /// (and uploaded to the reading stack's region), names are unique.
    public func validate(repository: String) throws {
        var seen: Set<String> = []
        let artefactsByName = Dictionary(uniqueKeysWithValues: artefacts.map { ($0.name, $0) })
        for stack in stacks {
            guard !seen.contains(stack.name) else {
                throw DeploymentError(description: "stack \(stack.name) appears twice")
            }
            guard FileManager.default.fileExists(atPath: repository + "/" + stack.template) else {
                throw DeploymentError(description: "stack \(stack.name): template \(stack.template) does not exist")
            }
            for (parameter, source) in stack.parameters ?? [:] {
                switch source {
                case .output(let other, _) where !seen.contains(other):
                    throw DeploymentError(
                        description: "stack \(stack.name): \(parameter) reads \(other), which is not deployed before it"
                    )
                case .artefact(let name):
                    guard let artefact = artefactsByName[name], artefact.regions.contains(stack.region) else {
                        throw DeploymentError(
                            description: "stack \(stack.name): \(parameter) needs artefact \(name) in \(stack.region)")
                    }
                case .setting(let name) where Settings.named(name) == nil:
                    throw DeploymentError(
                        description: "stack \(stack.name): \(parameter) reads \(name), which no setting declares")
                default: break
                }
            }
            seen.insert(stack.name)
        }
    }

    /// The stacks a stack reads outputs from.
    public func dependencies(of stack: Stack) -> [String] {
        Array(
            Set(
                (stack.parameters ?? [:]).values.compactMap {
                    if case .output(let other, _) = $0 { return other }
                    return nil
                })
        ).sorted()
    }
}

/// A deployment description that cannot be used.
public struct DeploymentError: Error, CustomStringConvertible, Sendable {
    public var description: String

    public init(description: String) {
        self.description = description
    }
}
