import CakapEdge
import Synchronization
import Testing

/// The edge's view of each region (issue 9: a region's link cut, `tests/faults/test_faults_region_cut.py`).
@Suite struct RegionHealthTests {
    @Test func aRegionGoesDownAfterTwoFailedProbesAndComesBackAfterTwoPassed() {
        let health = RegionHealth(regions: ["us-east-1", "us-west-2"])
        #expect(health.isHealthy("us-west-2"))
        #expect(health.record("us-west-2", passed: false) == nil)
        #expect(health.record("us-west-2", passed: false) == false)
        #expect(!health.isHealthy("us-west-2"))
        #expect(health.record("us-west-2", passed: true) == nil)
        #expect(health.record("us-west-2", passed: true) == true)
        #expect(health.isHealthy("us-west-2"))
        #expect(health.isHealthy("us-east-1"))
    }

    /// R-APP-7: the requested region first while it is healthy; a region that failed its probes is
    /// tried last, not left out (it may be the only one).
    @Test func theRequestedRegionComesFirstUnlessItIsDown() {
        let health = RegionHealth(regions: ["us-east-1", "us-west-2"], unhealthyThreshold: 1)
        let regions = ["us-east-1", "us-west-2"]
        #expect(health.order(regions, requested: "us-west-2") == ["us-west-2", "us-east-1"])
        health.record("us-west-2", passed: false)
        #expect(health.order(regions, requested: "us-west-2") == ["us-east-1", "us-west-2"])
        #expect(health.order(regions, requested: "us-east-1") == ["us-east-1", "us-west-2"])
    }

    /// A request waiting on a region stops waiting once the probes mark it down.
    @Test func waitingEndsWhenTheRegionIsMarkedDown() async throws {
        let health = RegionHealth(regions: ["us-west-2"], unhealthyThreshold: 1)
        let waiter = Task { try await health.waitUntilDown("us-west-2") }
        try await Task.sleep(for: .milliseconds(30))
        health.record("us-west-2", passed: false)
        try await waiter.value
        let cancelled = Task { try await RegionHealth(regions: ["us-east-1"]).waitUntilDown("us-east-1") }
        cancelled.cancel()
        await #expect(throws: CancellationError.self) { try await cancelled.value }
    }

    /// A watch fires once when its region goes down, at once when it already is, and never after
    /// it was stopped.
    @Test func watchesFireOnceOnTheWayDown() {
        let health = RegionHealth(regions: ["us-east-1", "us-west-2"], unhealthyThreshold: 1)
        let fired = Mutex<[String]>([])
        let east = health.whenDown("us-east-1") { fired.withLock { $0.append("east") } }
        let stopped = health.whenDown("us-east-1") { fired.withLock { $0.append("stopped") } }
        _ = health.whenDown("us-west-2") { fired.withLock { $0.append("west") } }
        health.stopWatching(stopped)
        #expect(east != nil)
        health.record("us-east-1", passed: false)
        health.record("us-east-1", passed: false)
        #expect(fired.withLock { $0 } == ["east"])
        #expect(health.whenDown("us-east-1") { fired.withLock { $0.append("already") } } == nil)
        #expect(fired.withLock { $0 } == ["east", "already"])
    }
}
