import AsyncHTTPClient
import Foundation
import HTTPProxy
import Logging
import Synchronization

/// Whether each region's balancer answers, from the edge's own probes (the role of Route 53
/// health checks in front of a two-region API). A region whose link is cut drops packets without
/// a reset, so a request on a kept-alive connection to it would wait for TCP's retransmission
/// timeout (minutes); the probes notice within a few seconds, and the edge then stops waiting for
/// that region and asks the other one (issue 9, `tests/faults/test_faults_region_cut.py`).
///
/// A class behind a mutex, not an actor: every API request asks for the order of the regions and
/// watches the one it waits on, and an actor made each of those an executor hop (issue 8's
/// edge figures, docs/benchmarks.md).
public final class RegionHealth: Sendable {
    let healthyThreshold: Int
    let unhealthyThreshold: Int

    private struct Watcher {
        var region: String
        var action: @Sendable () -> Void
    }
    private struct Inner {
        var states: [String: HealthState]
        var watchers: [UInt64: Watcher] = [:]
        var nextWatcher: UInt64 = 0
    }
    private let inner: Mutex<Inner>

    /// - Parameters:
    ///   - regions: region names; every region starts healthy.
    ///   - healthyThreshold: passed probes in a row that bring a region back. Default 2.
    ///   - unhealthyThreshold: failed probes in a row that mark a region down. Default 2.
    public init(regions: [String], healthyThreshold: Int = 2, unhealthyThreshold: Int = 2) {
        self.healthyThreshold = healthyThreshold
        self.unhealthyThreshold = unhealthyThreshold
        inner = Mutex(Inner(states: Dictionary(uniqueKeysWithValues: regions.map { ($0, HealthState(healthy: true)) })))
    }

    /// Whether `region` passed its recent probes (unknown regions count as healthy).
    public func isHealthy(_ region: String) -> Bool { inner.withLock { $0.states[region]?.healthy ?? true } }

    /// The result of one probe; when it marks the region down, the region's watchers run (once).
    /// - Returns: the region's new health when this probe changed it, else nil.
    @discardableResult
    public func record(_ region: String, passed: Bool) -> Bool? {
        let (healthyThreshold, unhealthyThreshold) = (healthyThreshold, unhealthyThreshold)
        let (change, fired): (Bool?, [@Sendable () -> Void]) = inner.withLock { inner in
            let change = inner.states[region]?.record(
                passed: passed, healthyThreshold: healthyThreshold, unhealthyThreshold: unhealthyThreshold)
            guard change == false else { return (change, []) }
            let ids = inner.watchers.filter { $0.value.region == region }.map(\.key)
            return (change, ids.compactMap { inner.watchers.removeValue(forKey: $0)?.action })
        }
        for action in fired { action() }
        return change
    }

    /// `regions` in the order to try them: the requested one first, healthy ones before those that
    /// failed their probes (kept last, as a last resort rather than left out).
    public func order(_ regions: [String], requested: String) -> [String] {
        let preferred = regions.filter { $0 == requested } + regions.filter { $0 != requested }
        let healthy = inner.withLock { inner in Set(preferred.filter { inner.states[$0]?.healthy ?? true }) }
        return preferred.filter { healthy.contains($0) } + preferred.filter { !healthy.contains($0) }
    }

    /// Runs `action` once when `region` is marked down (at once, returning nil, if it is down).
    /// - Returns: the watch, to end with `stopWatching` when it is no longer needed.
    public func whenDown(_ region: String, _ action: @escaping @Sendable () -> Void) -> UInt64? {
        let id: UInt64? = inner.withLock { inner in
            guard inner.states[region]?.healthy ?? true else { return nil }
            inner.nextWatcher &+= 1
            inner.watchers[inner.nextWatcher] = Watcher(region: region, action: action)
            return inner.nextWatcher
        }
        if id == nil { action() }
        return id
    }

    /// Ends a watch (a no-op once it has fired).
    public func stopWatching(_ id: UInt64?) {
        guard let id else { return }
        _ = inner.withLock { $0.watchers.removeValue(forKey: id) }
    }

    /// Returns once `region` is marked down (at once if it is); throws `CancellationError` when
    /// the waiting task is cancelled.
    public func waitUntilDown(_ region: String) async throws {
        let (signal, continuation) = AsyncStream<Void>.makeStream()
        let watch = whenDown(region) { continuation.finish() }
        defer { stopWatching(watch) }
        for await _ in signal {}
        try Task.checkCancellation()
    }
}

extension HealthChecker {
    /// The edge's probes of every region's balancer (`GET /`, the ALB's fixed `its worked!`
    /// answer, R-LLM-5), their results going to `health`: the role of Route 53 health checks.
    public static func regions(
        _ regions: [EdgeConfiguration.RegionUpstream], health: RegionHealth, interval: Duration, timeout: Duration,
        httpClient: HTTPClient, logger: Logger
    ) -> HealthChecker {
        let checks = regions.map { region in
            Check(url: region.balancerURL + "/") { passed in
                if let healthy = health.record(region.name, passed: passed) {
                    logger.notice(
                        "region \(healthy ? "reachable again" : "unreachable")",
                        metadata: ["region": "\(region.name)", "balancer": "\(region.balancerURL)"])
                }
            }
        }
        return HealthChecker(checks: checks, interval: interval, timeout: timeout, httpClient: httpClient)
    }
}
