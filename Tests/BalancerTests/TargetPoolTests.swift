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
        let first = try pool.acquire()
        let second = try pool.acquire()
        #expect(first != second)  // the busy one is avoided
        pool.release(first)
        #expect(try pool.acquire() == first)  // now the idle one again
    }

    @Test func aConnectionErrorEjectsAtOnceAndChecksBringItBack() async throws {
        let pool = pool()
        pool.eject(zoneA)
        for _ in 0..<5 {
            let target = try pool.acquire()
            #expect(target == zoneB)
            pool.release(target)
        }
        pool.recordCheck(zoneA, passed: true)
        #expect(pool.healthyCount == 1)  // one pass is not enough
        pool.recordCheck(zoneA, passed: true)
        #expect(pool.healthyCount == 2)
    }

    @Test func failedChecksNeedTheThreshold() async {
        let pool = pool()
        #expect(pool.recordCheck(zoneB, passed: false) == nil)  // no transition yet
        #expect(pool.healthyCount == 2)
        #expect(pool.recordCheck(zoneB, passed: false) == false)  // reported: now unhealthy
        #expect(pool.healthyCount == 1)
    }

    @Test func noHealthyTargetAndExclusion() async throws {
        let pool = pool(startHealthy: false)
        #expect(throws: TargetPool.Unavailable.noHealthyTarget) { try pool.acquire() }
        pool.recordCheck(zoneA, passed: true)
        pool.recordCheck(zoneA, passed: true)
        #expect(try pool.acquire() == zoneA)
        // The retry rule asks for another target than the one that failed: there is none.
        #expect(throws: TargetPool.Unavailable.noHealthyTarget) { try pool.acquire(excluding: [zoneA]) }
    }

    @Test func inFlightCapMakesThePoolBusy() async throws {
        let pool = pool(cap: 1)
        _ = try pool.acquire()
        _ = try pool.acquire()
        #expect(throws: TargetPool.Unavailable.allBusy) { try pool.acquire() }
    }

    @Test func poolOptionParsing() throws {
        let (name, targets) = try BalancerConfiguration.parsePool("chat=http://127.0.0.1:1@a,http://127.0.0.1:2@b")
        #expect(name == "chat")
        #expect(targets == [zoneA, zoneB])
        #expect(throws: (any Error).self) { try BalancerConfiguration.parsePool("no-equals-sign") }
    }
}
