import CakapBalancer
import Testing

/// Target choice and health like an ALB target group (R-LLM-2: a backup in a second zone).
@Suite struct TargetPoolTests {
    let zoneA = TargetPool.Target(url: "http://127.0.0.1:1", zone: "a")
    let zoneB = TargetPool.Target(url: "http://127.0.0.1:2", zone: "b")

    func pool(startHealthy: Bool = true, cap: Int = 8) -> TargetPool {
        TargetPool(
            name: "chat", targets: [zoneA, zoneB], healthyThreshold: 2, unhealthyThreshold: 2,
            maxInFlightPerTarget: cap,
            startHealthy: startHealthy)
    }

    @Test func leastOutstandingWins() async throws {
        let pool = pool()
        let first = try await pool.acquire()
        let second = try await pool.acquire()
        #expect(first != second)  // the busy one is avoided
        await pool.release(first)
        #expect(try await pool.acquire() == first)  // now the idle one again
    }

    @Test func aConnectionErrorEjectsAtOnceAndChecksBringItBack() async throws {
        let pool = pool()
        await pool.eject(zoneA)
        for _ in 0..<5 {
            let target = try await pool.acquire()
            #expect(target == zoneB)
            await pool.release(target)
        }
        await pool.recordCheck(zoneA, passed: true)
        #expect(await pool.healthyCount == 1)  // one pass is not enough
        await pool.recordCheck(zoneA, passed: true)
        #expect(await pool.healthyCount == 2)
    }

    @Test func failedChecksNeedTheThreshold() async {
        let pool = pool()
        #expect(await pool.recordCheck(zoneB, passed: false) == nil)  // no transition yet
        #expect(await pool.healthyCount == 2)
        #expect(await pool.recordCheck(zoneB, passed: false) == false)  // reported: now unhealthy
        #expect(await pool.healthyCount == 1)
    }

    @Test func noHealthyTargetAndExclusion() async throws {
        let pool = pool(startHealthy: false)
        await #expect(throws: TargetPool.Unavailable.noHealthyTarget) { try await pool.acquire() }
        await pool.recordCheck(zoneA, passed: true)
        await pool.recordCheck(zoneA, passed: true)
        #expect(try await pool.acquire() == zoneA)
        // The retry rule asks for another target than the one that failed: there is none.
        await #expect(throws: TargetPool.Unavailable.noHealthyTarget) { try await pool.acquire(excluding: [zoneA]) }
    }

    @Test func inFlightCapMakesThePoolBusy() async throws {
        let pool = pool(cap: 1)
        _ = try await pool.acquire()
        _ = try await pool.acquire()
        await #expect(throws: TargetPool.Unavailable.allBusy) { try await pool.acquire() }
    }

    @Test func poolOptionParsing() throws {
        let (name, targets) = try BalancerConfiguration.parsePool("chat=http://127.0.0.1:1@a,http://127.0.0.1:2@b")
        #expect(name == "chat")
        #expect(targets == [zoneA, zoneB])
        #expect(throws: (any Error).self) { try BalancerConfiguration.parsePool("no-equals-sign") }
    }
}
