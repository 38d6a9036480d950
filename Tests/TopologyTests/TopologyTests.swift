import Foundation
import Testing
import Topology

/// The path rules of R-LLM-5, path by path, from the repository's own config/topology.json.
@Suite struct TopologyTests {
    static let repositoryTopology: String = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("config/topology.json").path

    @Test func pathRulesOfRLLM5() throws {
        let topology = try Topology.load(fromFile: Self.repositoryTopology)
        #expect(topology.decision(forPath: "/api/chat") == .forward(pool: "chat"))
        #expect(topology.decision(forPath: "/api/generate") == .forward(pool: "scoring"))
        for path in ["/api/tags", "/api/embed", "/api/embeddings", "/api/pull", "/api/show", "/api/ps", "/api/version"]
        {
            #expect(topology.decision(forPath: path) == .forward(pool: "llm"), "\(path)")
        }
        // Exact rules are exact: a longer path falls to the wildcard rule.
        #expect(topology.decision(forPath: "/api/chat/extra") == .forward(pool: "llm"))
        guard case .respond(let root) = topology.decision(forPath: "/") else {
            Issue.record("/ must be a fixed response")
            return
        }
        #expect(root.status == 200)
        #expect(root.body == "its worked!")
        #expect(root.contentType == "text/plain")
        guard case .respond(let other) = topology.decision(forPath: "/admin") else {
            Issue.record("an unmatched path must get the default response")
            return
        }
        #expect(other.status == 404)
    }

    @Test func poolsAndRegionsOfTheBrief() throws {
        let topology = try Topology.load(fromFile: Self.repositoryTopology)
        #expect(topology.regions.map(\.name) == ["us-east-1", "us-west-2"])  // R-OPS-1
        #expect(Set(topology.pools.map(\.name)) == ["llm", "scoring", "chat"])  // R-LLM-1
        for pool in topology.pools {
            #expect((pool.instancesPerAz["b"] ?? 0) >= 1, "\(pool.name) needs a backup zone (R-LLM-2)")
        }
        #expect(topology.worker.port == 11434)  // R-LLM-4
    }

    @Test(arguments: [
        ("/api/*", "/api/tags", true), ("/api/*", "/api/", true), ("/api/*", "/apix", false),
        ("/", "/", true), ("/", "/x", false), ("/a?c", "/abc", true), ("/a?c", "/ac", false),
        ("*", "/anything/at/all", true), ("/API/*", "/api/tags", false),
    ])
    func albPatternMatching(pattern: String, path: String, expected: Bool) {
        #expect(Topology.matches(pattern, path) == expected)
    }

    @Test func ruleWithUnknownPoolIsRejected() throws {
        let path = NSTemporaryDirectory() + "topology-\(UUID().uuidString).json"
        defer { try? FileManager.default.removeItem(atPath: path) }
        let text = #"""
            {"regions": [], "pools": [{"name": "chat", "instancesPerAz": {"a": 1}}],
             "worker": {"port": 11434, "readinessPath": "/health/ready"},
             "albRules": [{"priority": 1, "path": "/api/*", "pool": "gpu"}],
             "albDefault": {"fixedResponse": {"status": 404, "contentType": "text/plain", "body": "no"}}}
            """#
        try Data(text.utf8).write(to: URL(fileURLWithPath: path))
        #expect(throws: TopologyError.self) { try Topology.load(fromFile: path) }
    }
}
