import AsyncHTTPClient
import Foundation
import HTTPProxy
import Logging
import Synchronization

/// The targets of one pool and their state, like an ALB target group: health from active checks
/// (`healthyThreshold` successes to enter, `unhealthyThreshold` failures to leave) and passive
/// ejection on a connection error; least outstanding requests among healthy targets.
///
/// A class behind a mutex rather than an actor: every request takes and gives back a target, and
/// an actor made that two executor hops per request, each a possible thread switch, for work of
/// a few dictionary reads (docs/benchmarks.md, "Profiles").
public final class TargetPool: Sendable {
    /// One worker behind the balancer.
    public struct Target: Sendable, Hashable {
        /// Base URL, e.g. `http://127.0.0.1:11500`.
        public var url: String
        /// Availability-zone letter (`a`, `b`).
        public var zone: String

        public init(url: String, zone: String) {
            self.url = url
            self.zone = zone
        }
    }

    /// A target's state, as `/targets` shows it.
    public struct Status: Sendable, Codable {
        public var url: String
        public var zone: String
        public var healthy: Bool
        public var outstanding: Int
    }

    struct State {
        var health: HealthState
        var outstanding = 0
        var healthy: Bool { health.healthy }

        init(healthy: Bool) { health = HealthState(healthy: healthy) }
    }

    public let name: String
    public let targets: [Target]
    let healthyThreshold: Int
    let unhealthyThreshold: Int
    let maxInFlightPerTarget: Int
    private struct Inner {
        var states: [Target: State]
        var nextTieBreak = 0
    }
    private let inner: Mutex<Inner>

    /// - Parameter startHealthy: whether targets serve before their first check (true locally, so
    ///   a fleet started with warm workers answers at once; an ALB starts them unhealthy).
    public init(
        name: String, targets: [Target], healthyThreshold: Int, unhealthyThreshold: Int, maxInFlightPerTarget: Int,
        startHealthy: Bool
    ) {
        self.name = name
        self.targets = targets
        self.healthyThreshold = healthyThreshold
        self.unhealthyThreshold = unhealthyThreshold
        self.maxInFlightPerTarget = maxInFlightPerTarget
        inner = Mutex(
            Inner(states: Dictionary(uniqueKeysWithValues: targets.map { ($0, State(healthy: startHealthy)) })))
    }

    /// Why no target was chosen.
    public enum Unavailable: Error, Sendable, Equatable {
        /// Every target failed its health checks (or none is registered).
        case noHealthyTarget
        /// Every healthy target is at its in-flight cap.
        case allBusy
    }

    /// The healthy target with the fewest outstanding requests (ties rotate), counted as busy
    /// until `release`.
    public func acquire(excluding excluded: Set<Target> = []) throws(Unavailable) -> Target {
        let maxInFlightPerTarget = maxInFlightPerTarget
        let targets = targets
        let chosen: Result<Target, Unavailable> = inner.withLock { inner in
            let healthy = targets.filter { inner.states[$0]?.healthy == true && !excluded.contains($0) }
            guard !healthy.isEmpty else { return .failure(.noHealthyTarget) }
            let open = healthy.filter { (inner.states[$0]?.outstanding ?? 0) < maxInFlightPerTarget }
            guard !open.isEmpty else { return .failure(.allBusy) }
            let fewest = open.map { inner.states[$0]?.outstanding ?? 0 }.min() ?? 0
            let candidates = open.filter { inner.states[$0]?.outstanding == fewest }
            inner.nextTieBreak &+= 1
            let chosen = candidates[inner.nextTieBreak % candidates.count]
            inner.states[chosen]?.outstanding += 1
            return .success(chosen)
        }
        return try chosen.get()
    }

    /// The request on `target` has finished.
    public func release(_ target: Target) {
        inner.withLock { inner in
            guard let outstanding = inner.states[target]?.outstanding else { return }
            inner.states[target]?.outstanding = max(0, outstanding - 1)
        }
    }

    /// A connection to the target failed: out of rotation until health checks bring it back.
    public func eject(_ target: Target) {
        inner.withLock { $0.states[target]?.health.eject() }
    }

    /// The result of one active health check.
    /// - Returns: the target's new health when this check changed it, else nil.
    @discardableResult
    public func recordCheck(_ target: Target, passed: Bool) -> Bool? {
        let (healthyThreshold, unhealthyThreshold) = (healthyThreshold, unhealthyThreshold)
        return inner.withLock {
            $0.states[target]?.health.record(
                passed: passed, healthyThreshold: healthyThreshold, unhealthyThreshold: unhealthyThreshold)
        }
    }

    /// How many targets are healthy now.
    public var healthyCount: Int { inner.withLock { $0.states.values.filter(\.healthy).count } }

    /// Every target's state.
    public func statuses() -> [Status] {
        let states = inner.withLock { $0.states }
        return targets.map { target in
            let state = states[target] ?? State(healthy: false)
            return Status(url: target.url, zone: target.zone, healthy: state.healthy, outstanding: state.outstanding)
        }
    }
}

extension HealthChecker {
    /// `GET <target><path>` for every target of `pools`, logging each change of health.
    public init(
        pools: [TargetPool], path: String, interval: Duration, timeout: Duration, httpClient: HTTPClient, logger: Logger
    ) {
        let checks = pools.flatMap { pool in
            pool.targets.map { target in
                Check(url: target.url + path) { passed in
                    if let healthy = pool.recordCheck(target, passed: passed) {
                        logger.notice(
                            "target \(healthy ? "healthy" : "unhealthy")",
                            metadata: ["pool": "\(pool.name)", "target": "\(target.url)"])
                    }
                }
            }
        }
        self.init(checks: checks, interval: interval, timeout: timeout, httpClient: httpClient)
    }
}
