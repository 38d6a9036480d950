import Foundation
import Topology

/// Every setting of one regional balancer (`cakap lb`), the local stand-in for a private ALB.
public struct BalancerConfiguration: Sendable {
    /// The region it serves, e.g. `us-east-1` (for logs and metrics).
    public var region: String
    /// Address to listen on. Default loopback.
    public var host = "127.0.0.1"
    /// The listener (an ALB listens on 80, R-SG-3; locally 11600+).
    public var port: Int
    /// `/metrics` and `/targets` for operators, on a separate port.
    public var adminPort: Int
    /// The path rules and the readiness path.
    public var topology: Topology
    /// Targets of each pool.
    public var pools: [String: [TargetPool.Target]]
    /// Health-check interval (ALB default 30 s; locally 1 s so tests and failover are quick).
    public var healthInterval: Duration = .seconds(1)
    /// A check slower than this fails (ALB default 5 s).
    public var healthTimeout: Duration = .seconds(1)
    /// Consecutive passes to become healthy (ALB default 5; locally 2).
    public var healthyThreshold = 2
    /// Consecutive failures to become unhealthy (ALB default 2).
    public var unhealthyThreshold = 2
    /// Largest request body, buffered so a failed first attempt can be retried. Default 8 MiB.
    public var maxBodyBytes = 8 << 20
    /// Requests in flight per target before the balancer answers 503 (a worker queues the rest).
    public var maxInFlightPerTarget = 32

    public init(region: String, port: Int, adminPort: Int, topology: Topology, pools: [String: [TargetPool.Target]]) {
        self.region = region
        self.port = port
        self.adminPort = adminPort
        self.topology = topology
        self.pools = pools
    }

    /// Parses `name=url@zone,url@zone` (zone optional, default `a`).
    public static func parsePool(_ text: String) throws -> (String, [TargetPool.Target]) {
        let parts = text.split(separator: "=", maxSplits: 1).map(String.init)
        guard parts.count == 2, !parts[0].isEmpty else {
            throw TopologyError(description: "--pool expects name=url[@zone],…, got '\(text)'")
        }
        let targets = parts[1].split(separator: ",").map { item -> TargetPool.Target in
            let pieces = item.split(separator: "@").map(String.init)
            return TargetPool.Target(url: pieces[0], zone: pieces.count > 1 ? pieces[1] : "a")
        }
        return (parts[0], targets)
    }
}
