import CakapEdge
import Foundation
import Identity
import Topology

/// What `cakap up` starts: for each region a balancer and its pools' workers (zone a, and b as the
/// backup unless `small`), then the edge — with every port decided up front.
struct FleetPlan: Codable {
    struct Worker: Codable {
        var region: String
        var pool: String
        var zone: String
        var port: Int
        var url: String { "http://127.0.0.1:\(port)" }
    }

    struct Region: Codable {
        var name: String
        var balancerPort: Int
        var adminPort: Int
        var workers: [Worker]
    }

    var regions: [Region]
    var edgePort: Int
    /// The embedded PostgreSQL (unused when `DB_HOST` names an external database).
    var postgresPort: Int
    /// `cakap conversations`.
    var conversationsPort: Int
    /// `cakap tutor`.
    var tutorPort: Int { conversationsPort + 1 }
    var poolId: String
    var clientId: String
    /// More origins the edge allows by CORS, beside the web app's own (`--cors-origin`,
    /// `CAKAP_CORS_ORIGINS`), e.g. the brief's reference client at `http://localhost:3000`.
    var corsOrigins: [String] = []
    /// Development only: the identity provider confirms sign-ups at once (`--auto-confirm`).
    var autoConfirm = false

    /// Models each pool must have loaded before traffic.
    static let warmModels: [String: [String]] = [
        "chat": ["smollm2:135m"], "scoring": ["smollm2:135m"], "llm": ["all-minilm:latest", "smollm2:135m"],
    ]
    /// Loaded too when the store has them: the tutor's model (its rewrite goes to the chat pool,
    /// its advice to the scoring pool), so the first learner's feedback does not wait for a load.
    /// What an operator's `/api/pull` may fetch on `cakap up`'s workers (`CAKAP_PULL_MODELS`):
    /// the brief's three (R-LLM-4) and `cakap setup`'s, any tag.
    static let pullableModels = ["orca-mini", "llama3", "nomic-embed-text", "smollm2", "gemma3", "all-minilm"]
    static let optionalWarmModels: [String: [String]] = ["chat": ["gemma3:270m"], "scoring": ["gemma3:270m"]]

    /// CPU threads per engine: this machine's cores shared by every worker, at least one.
    func engineThreads(cores: Int) -> Int {
        max(1, cores / max(1, regions.reduce(0) { $0 + $1.workers.count }))
    }

    init(
        topology: Topology, small: Bool, basePort: Int, balancerBasePort: Int, adminBasePort: Int, edgePort: Int,
        postgresPort: Int = 11800, conversationsPort: Int = 11801
    ) {
        var nextPort = basePort
        regions = topology.regions.enumerated().map { index, region in
            var workers: [Worker] = []
            for pool in topology.pools {
                for zone in pool.instancesPerAz.keys.sorted() where !small || zone == "a" {
                    for _ in 0..<(small ? 1 : pool.instancesPerAz[zone] ?? 0) {
                        workers.append(Worker(region: region.name, pool: pool.name, zone: zone, port: nextPort))
                        nextPort += 1
                    }
                }
            }
            return Region(
                name: region.name, balancerPort: balancerBasePort + index, adminPort: adminBasePort + index,
                workers: workers)
        }
        self.edgePort = edgePort
        self.postgresPort = postgresPort
        self.conversationsPort = conversationsPort
        poolId = IdentityPoolSettings.development.poolId
        clientId = IdentityPoolSettings.development.clientId
    }

    /// `cakap lb` arguments for a region.
    func balancerArguments(_ region: Region, topologyPath: String) -> [String] {
        let pools = Dictionary(grouping: region.workers, by: \.pool)
        return [
            "lb", "--region", region.name, "--port", String(region.balancerPort), "--admin-port",
            String(region.adminPort), "--topology", topologyPath,
        ]
            + pools.keys.sorted().flatMap { pool in
                ["--pool", pool + "=" + (pools[pool] ?? []).map { "\($0.url)@\($0.zone)" }.joined(separator: ",")]
            }
    }

    var conversationsURL: String { "http://127.0.0.1:\(conversationsPort)" }

    /// `cakap conversations` arguments; its database comes in the `DB_*` variables.
    func conversationsArguments() -> [String] {
        [
            "conversations", "--port", String(conversationsPort), "--edge", "http://127.0.0.1:\(edgePort)",
            "--client-id", clientId,
        ]
    }

    var tutorURL: String { "http://127.0.0.1:\(tutorPort)" }

    /// `cakap tutor` arguments: the model through both regions' balancers.
    func tutorArguments() -> [String] {
        [
            "tutor", "--port", String(tutorPort), "--edge", "http://127.0.0.1:\(edgePort)", "--client-id", clientId,
            "--conversations", "http://127.0.0.1:\(conversationsPort)",
        ] + regions.flatMap { ["--llm", "http://127.0.0.1:\($0.balancerPort)"] }
    }

    /// Base URLs for `/api/embed`: each region's balancer (the LLM pool's path rule).
    var embedURLs: String { regions.map { "http://127.0.0.1:\($0.balancerPort)" }.joined(separator: ",") }

    /// `cakap edge` arguments.
    func edgeArguments(dataDirectory: String, webDirectory: String, topologyPath: String) -> [String] {
        [
            "edge", "--port", String(edgePort), "--data", dataDirectory, "--web", webDirectory, "--topology",
            topologyPath,
            "--pool-id", poolId, "--client-id", clientId, "--conversations", conversationsURL, "--tutor", tutorURL,
        ] + regions.flatMap { ["--region", "\($0.name)=http://127.0.0.1:\($0.balancerPort)"] }
            + allowedOrigins.flatMap { ["--cors-origin", $0] } + (autoConfirm ? ["--auto-confirm"] : [])
    }

    /// The edge's CORS origins when more were asked for: its defaults, its own origin on this
    /// port, then the extra ones (`--cors-origin` replaces the edge's list, so all are passed).
    /// Empty when none were asked for: the edge keeps its defaults.
    var allowedOrigins: [String] {
        guard !corsOrigins.isEmpty else { return [] }
        var origins: [String] = []
        let own = ["http://127.0.0.1:\(edgePort)", "http://localhost:\(edgePort)"]
        for origin in EdgeConfiguration.defaultCORSOrigins + own + corsOrigins where !origins.contains(origin) {
            origins.append(origin)
        }
        return origins
    }
}
