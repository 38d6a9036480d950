import Foundation

/// The fleet's shape as data (`config/topology.json`): regions, worker pools, the worker's port and
/// readiness path, and the load balancer's path rules (R-LLM-1, R-LLM-2, R-LLM-5). The balancer,
/// `cakap up` and the infrastructure tests all read the same file.
public struct Topology: Decodable, Sendable {
    /// One AWS region (one VPC, "zone" in the brief).
    public struct Region: Decodable, Sendable {
        /// e.g. `us-east-1`.
        public var name: String
        /// e.g. `lks-zone-a`.
        public var zone: String
    }

    /// A worker kind.
    public struct Pool: Decodable, Sendable {
        /// `llm`, `scoring` or `chat`.
        public var name: String
        /// Workers per availability-zone letter; `b` is the backup zone.
        public var instancesPerAz: [String: Int]
    }

    /// What every worker listens on.
    public struct Worker: Decodable, Sendable {
        public var port: Int
        public var readinessPath: String
    }

    /// A fixed response of the balancer.
    public struct FixedResponse: Decodable, Sendable, Equatable {
        public var status: Int
        public var contentType: String
        public var body: String
    }

    /// One listener rule, in priority order.
    public struct PathRule: Decodable, Sendable {
        public var priority: Int
        /// ALB-style pattern: exact, `*` any run of characters, `?` one character.
        public var path: String
        /// Forward to this pool…
        public var pool: String?
        /// …or answer with this.
        public var fixedResponse: FixedResponse?
    }

    /// What the balancer does with a request.
    public enum Decision: Sendable, Equatable {
        case forward(pool: String)
        case respond(FixedResponse)
    }

    public var regions: [Region]
    public var pools: [Pool]
    public var worker: Worker
    public var albRules: [PathRule]
    public var albDefault: PathRule.Default

    /// Loads and checks a topology file.
    public static func load(fromFile path: String) throws -> Topology {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw TopologyError(description: "cannot read topology file \(path)")
        }
        let topology: Topology
        do {
            topology = try JSONDecoder().decode(Topology.self, from: data)
        } catch {
            throw TopologyError(description: "topology file \(path) is invalid: \(error)")
        }
        try topology.validate()
        return topology
    }

    /// Every rule forwards to a known pool or has a fixed response; priorities are unique.
    func validate() throws {
        let poolNames = Set(pools.map(\.name))
        for rule in albRules {
            switch (rule.pool, rule.fixedResponse) {
            case (let pool?, nil) where poolNames.contains(pool): continue
            case (nil, _?): continue
            default:
                throw TopologyError(
                    description: "rule \(rule.priority) (\(rule.path)) needs one known pool or a fixed response")
            }
        }
        guard Set(albRules.map(\.priority)).count == albRules.count else {
            throw TopologyError(description: "rule priorities must be unique")
        }
    }

    /// The first rule (by priority) whose pattern matches `path` decides; else the default.
    public func decision(forPath path: String) -> Decision {
        for rule in albRules.sorted(by: { $0.priority < $1.priority }) where Self.matches(rule.path, path) {
            if let pool = rule.pool { return .forward(pool: pool) }
            if let fixed = rule.fixedResponse { return .respond(fixed) }
        }
        return .respond(albDefault.fixedResponse)
    }

    /// ALB path-pattern matching: case-sensitive; `*` matches any run (including `/`), `?` one character.
    public static func matches(_ pattern: String, _ path: String) -> Bool {
        let pattern = Array(pattern.utf8)
        let text = Array(path.utf8)
        var p = 0
        var t = 0
        var star: Int?
        var starText = 0
        while t < text.count {
            if p < pattern.count && (pattern[p] == UInt8(ascii: "?") || pattern[p] == text[t]) {
                p += 1
                t += 1
            } else if p < pattern.count && pattern[p] == UInt8(ascii: "*") {
                star = p
                starText = t
                p += 1
            } else if let star {
                p = star + 1
                starText += 1
                t = starText
            } else {
                return false
            }
        }
        while p < pattern.count && pattern[p] == UInt8(ascii: "*") { p += 1 }
        return p == pattern.count
    }
}

extension Topology.PathRule {
    /// The answer when no rule matches.
    public struct Default: Decodable, Sendable {
        public var fixedResponse: Topology.FixedResponse
    }
}

/// A topology file that cannot be used.
public struct TopologyError: Error, CustomStringConvertible, Sendable {
    public var description: String

    public init(description: String) {
        self.description = description
    }
}
