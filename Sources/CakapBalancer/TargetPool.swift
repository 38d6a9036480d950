import Foundation

/// The targets of one pool and their state, like an ALB target group: health from active checks
/// (`healthyThreshold` successes to enter, `unhealthyThreshold` failures to leave) and passive
/// ejection on a connection error; least outstanding requests among healthy targets.
public actor TargetPool {
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
    private var states: [Target: State]
    private var nextTieBreak = 0

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
        self.states = Dictionary(uniqueKeysWithValues: targets.map { ($0, State(healthy: startHealthy)) })
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
        let healthy = targets.filter { states[$0]?.healthy == true && !excluded.contains($0) }
        guard !healthy.isEmpty else { throw .noHealthyTarget }
        let open = healthy.filter { (states[$0]?.outstanding ?? 0) < maxInFlightPerTarget }
        guard !open.isEmpty else { throw .allBusy }
        let fewest = open.map { states[$0]?.outstanding ?? 0 }.min() ?? 0
        let candidates = open.filter { states[$0]?.outstanding == fewest }
        nextTieBreak &+= 1
        let chosen = candidates[nextTieBreak % candidates.count]
        states[chosen]?.outstanding += 1
        return chosen
    }

    /// The request on `target` has finished.
    public func release(_ target: Target) {
        guard let outstanding = states[target]?.outstanding else { return }
        states[target]?.outstanding = max(0, outstanding - 1)
    }

    /// A connection to the target failed: out of rotation until health checks bring it back.
    public func eject(_ target: Target) {
        states[target]?.health.eject()
    }

    /// The result of one active health check.
    /// - Returns: the target's new health when this check changed it, else nil.
    @discardableResult
    public func recordCheck(_ target: Target, passed: Bool) -> Bool? {
        states[target]?.health.record(
            passed: passed, healthyThreshold: healthyThreshold, unhealthyThreshold: unhealthyThreshold)
    }

    /// How many targets are healthy now.
    public var healthyCount: Int { states.values.filter(\.healthy).count }

    /// Every target's state.
    public func statuses() -> [Status] {
        targets.map { target in
            let state = states[target] ?? State(healthy: false)
            return Status(url: target.url, zone: target.zone, healthy: state.healthy, outstanding: state.outstanding)
        }
    }
}
