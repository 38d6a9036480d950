import AsyncHTTPClient
import CakapBalancer
import Foundation
import Logging
import ServiceLifecycle

/// Whether each region's balancer answers, from the edge's own probes (the role of Route 53
/// health checks in front of a two-region API). A region whose link is cut drops packets without
/// a reset, so a request on a kept-alive connection to it would wait for TCP's retransmission
/// timeout (minutes); the probes notice within a few seconds, and the edge then stops waiting for
/// that region and asks the other one (issue 9, `tests/faults/test_faults_region_cut.py`).
public actor RegionHealth {
    let healthyThreshold: Int
    let unhealthyThreshold: Int
    private var states: [String: HealthState]

    /// - Parameters:
    ///   - regions: region names; every region starts healthy.
    ///   - healthyThreshold: passed probes in a row that bring a region back. Default 2.
    ///   - unhealthyThreshold: failed probes in a row that mark a region down. Default 2.
    public init(regions: [String], healthyThreshold: Int = 2, unhealthyThreshold: Int = 2) {
        self.healthyThreshold = healthyThreshold
        self.unhealthyThreshold = unhealthyThreshold
        self.states = Dictionary(uniqueKeysWithValues: regions.map { ($0, HealthState(healthy: true)) })
    }

    /// Whether `region` passed its recent probes (unknown regions count as healthy).
    public func isHealthy(_ region: String) -> Bool { states[region]?.healthy ?? true }

    /// The result of one probe.
    /// - Returns: the region's new health when this probe changed it, else nil.
    @discardableResult
    public func record(_ region: String, passed: Bool) -> Bool? {
        states[region]?.record(
            passed: passed, healthyThreshold: healthyThreshold, unhealthyThreshold: unhealthyThreshold)
    }

    /// `regions` in the order to try them: the requested one first, healthy ones before those that
    /// failed their probes (kept last, as a last resort rather than left out).
    public func order(_ regions: [String], requested: String) -> [String] {
        let preferred = regions.filter { $0 == requested } + regions.filter { $0 != requested }
        return preferred.filter { isHealthy($0) } + preferred.filter { !isHealthy($0) }
    }

    /// Returns once `region` is marked down (at once if it is); throws `CancellationError` when
    /// the waiting task is cancelled. Polls: it only runs while a request waits for a response head.
    public func waitUntilDown(_ region: String, every interval: Duration = .milliseconds(100)) async throws {
        while isHealthy(region) {
            try await Task.sleep(for: interval)
        }
    }
}

/// Probes every region's balancer (`GET /`, the ALB's fixed `its worked!` answer, R-LLM-5) each
/// `interval`, a probe passing on 200 within `timeout`; results go to `RegionHealth`.
public struct RegionProbe: Service {
    let health: RegionHealth
    let regions: [EdgeConfiguration.RegionUpstream]
    let interval: Duration
    let timeout: Duration
    let httpClient: HTTPClient
    let logger: Logger

    public init(
        health: RegionHealth, regions: [EdgeConfiguration.RegionUpstream], interval: Duration, timeout: Duration,
        httpClient: HTTPClient, logger: Logger
    ) {
        self.health = health
        self.regions = regions
        self.interval = interval
        self.timeout = timeout
        self.httpClient = httpClient
        self.logger = logger
    }

    public func run() async throws {
        try? await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                await probeAll()
                try await Task.sleep(for: interval)
            }
        }
    }

    func probeAll() async {
        await withTaskGroup(of: Void.self) { group in
            for region in regions {
                group.addTask {
                    let passed = await probe(region)
                    if let healthy = await health.record(region.name, passed: passed) {
                        logger.notice(
                            "region \(healthy ? "reachable again" : "unreachable")",
                            metadata: ["region": "\(region.name)", "balancer": "\(region.balancerURL)"])
                    }
                }
            }
        }
    }

    func probe(_ region: EdgeConfiguration.RegionUpstream) async -> Bool {
        await HealthChecker.passes(url: region.balancerURL + "/", timeout: timeout, httpClient: httpClient)
    }
}
