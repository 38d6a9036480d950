import CakapEdge
import Testing

/// The edge's view of each region (issue 9: a region's link cut, `tests/faults/test_faults_region_cut.py`).
@Suite struct RegionHealthTests {
    @Test func aRegionGoesDownAfterTwoFailedProbesAndComesBackAfterTwoPassed() async {
        let health = RegionHealth(regions: ["us-east-1", "us-west-2"])
        #expect(await health.isHealthy("us-west-2"))
        #expect(await health.record("us-west-2", passed: false) == nil)
        #expect(await health.record("us-west-2", passed: false) == false)
        #expect(await !health.isHealthy("us-west-2"))
        #expect(await health.record("us-west-2", passed: true) == nil)
        #expect(await health.record("us-west-2", passed: true) == true)
        #expect(await health.isHealthy("us-west-2"))
        #expect(await health.isHealthy("us-east-1"))
    }

    /// R-APP-7: the requested region first while it is healthy; a region that failed its probes is
    /// tried last, not left out (it may be the only one).
    @Test func theRequestedRegionComesFirstUnlessItIsDown() async {
        let health = RegionHealth(regions: ["us-east-1", "us-west-2"], unhealthyThreshold: 1)
        let regions = ["us-east-1", "us-west-2"]
        #expect(await health.order(regions, requested: "us-west-2") == ["us-west-2", "us-east-1"])
        await health.record("us-west-2", passed: false)
        #expect(await health.order(regions, requested: "us-west-2") == ["us-east-1", "us-west-2"])
        #expect(await health.order(regions, requested: "us-east-1") == ["us-east-1", "us-west-2"])
    }

    /// A request waiting on a region stops waiting once the probes mark it down.
    @Test func waitingEndsWhenTheRegionIsMarkedDown() async throws {
        let health = RegionHealth(regions: ["us-west-2"], unhealthyThreshold: 1)
        let waiter = Task { try await health.waitUntilDown("us-west-2", every: .milliseconds(5)) }
        try await Task.sleep(for: .milliseconds(30))
        await health.record("us-west-2", passed: false)
        try await waiter.value
        let cancelled = Task { try await RegionHealth(regions: ["us-east-1"]).waitUntilDown("us-east-1") }
        cancelled.cancel()
        await #expect(throws: CancellationError.self) { try await cancelled.value }
    }
}
