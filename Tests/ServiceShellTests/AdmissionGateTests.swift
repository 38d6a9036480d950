import Testing

@testable import ServiceShell

/// The tutor's admission limit (issue 9: under overload a quick 503 to retry, never an unbounded queue).
@Suite struct AdmissionGateTests {
    /// A latch the test opens when it wants the running work to finish.
    actor Latch {
        var open = false
        func release() { open = true }
        func wait() async {
            while !open { try? await Task.sleep(for: .milliseconds(5)) }
        }
    }

    @Test func runsUpToTheLimitQueuesTheNextAndRefusesTheRest() async throws {
        let gate = AdmissionGate(maxRunning: 2, maxWaiting: 1, maxWait: .seconds(30))
        let latch = Latch()
        let held = (0..<3).map { _ in
            Task {
                await gate.run {
                    await latch.wait(); return true
                }
            }
        }
        while await gate.load != (2, 1) { try await Task.sleep(for: .milliseconds(5)) }
        // Two running, one waiting: the fourth is refused at once, without running its work.
        #expect(
            await gate.run {
                Issue.record("refused work ran"); return true
            } == nil)
        #expect(await gate.refused == 1)
        await latch.release()
        for task in held { #expect(await task.value == true) }
        #expect(await gate.load == (0, 0))
        #expect(await gate.run { 7 } == 7)
    }

    /// Issue 19: one learner holding `maxPerUser` places is refused another, while a second learner
    /// still gets in; without the per-user count the flood would fill every place.
    @Test func oneUserCannotFillTheGate() async throws {
        let gate = AdmissionGate(maxRunning: 4, maxWaiting: 4, maxWait: .seconds(30), maxPerUser: 2)
        let latch = Latch()
        let held = (0..<2).map { _ in
            Task {
                await gate.run(for: "mallory") {
                    await latch.wait(); return true
                }
            }
        }
        while await gate.load != (2, 0) { try await Task.sleep(for: .milliseconds(5)) }
        #expect(await gate.run(for: "mallory") { true } == nil)
        #expect(await gate.run(for: "alice") { true } == true)
        await latch.release()
        for task in held { #expect(await task.value == true) }
        #expect(await gate.run(for: "mallory") { true } == true)
    }

    @Test func aWaiterThatWaitsTooLongIsRefused() async throws {
        let gate = AdmissionGate(maxRunning: 1, maxWaiting: 4, maxWait: .milliseconds(100))
        let latch = Latch()
        let holder = Task {
            await gate.run {
                await latch.wait(); return 1
            }
        }
        while await gate.load.running != 1 { try await Task.sleep(for: .milliseconds(5)) }
        let clock = ContinuousClock()
        let start = clock.now
        #expect(await gate.run { 2 } == nil)
        #expect(clock.now - start >= .milliseconds(100))
        #expect(await gate.load == (1, 0))
        await latch.release()
        #expect(await holder.value == 1)
        #expect(await gate.load == (0, 0))
    }
}
