/// Health from consecutive check results, counted as an ALB target group counts them: a healthy
/// target turns unhealthy after `unhealthyThreshold` failures in a row, an unhealthy one healthy
/// after `healthyThreshold` passes in a row. Shared by the balancer's targets and the edge's regions.
public struct HealthState: Sendable {
    public private(set) var healthy: Bool
    private var successes = 0
    private var failures = 0

    public init(healthy: Bool) {
        self.healthy = healthy
    }

    /// Counts one check.
    /// - Returns: the new health when this check changed it, else nil.
    public mutating func record(passed: Bool, healthyThreshold: Int, unhealthyThreshold: Int) -> Bool? {
        let before = healthy
        if passed {
            successes += 1
            failures = 0
            if !healthy && successes >= healthyThreshold { healthy = true }
        } else {
            failures += 1
            successes = 0
            if healthy && failures >= unhealthyThreshold { healthy = false }
        }
        return healthy == before ? nil : healthy
    }

    /// Out at once (a connection error), until `healthyThreshold` passes bring it back.
    public mutating func eject() {
        healthy = false
        successes = 0
        failures = 0
    }
}
