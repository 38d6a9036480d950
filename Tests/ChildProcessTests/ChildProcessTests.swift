import ChildProcess
import Testing

/// Waiting for a child without polling: `wait(atMost:)` gives up on time, `stop` ends with SIGTERM
/// within its grace period (the worker's engines and `cakap up`'s services stop this way).
@Suite struct ChildProcessTests {
    @Test func waitingAtMostGivesUpWhileTheChildRunsAndReturnsItsStatusOnceItEnds() async throws {
        let sleeper = try ChildProcess(executable: "/bin/sleep", arguments: ["30"], outputPath: nil)
        #expect(await sleeper.wait(atMost: .milliseconds(200)) == nil)
        #expect(sleeper.exitStatus == nil)
        await sleeper.stop(gracePeriod: .seconds(5))
        #expect(sleeper.exitStatus == Int32(143))  // 128 + SIGTERM: ended by SIGTERM, not SIGKILL
        #expect(sleeper.hasEnded)
        let quick = try ChildProcess(executable: "/bin/true", arguments: [], outputPath: nil)
        #expect(await quick.wait(atMost: .seconds(10)) == 0)
    }

    @Test func aChildThatIgnoresSIGTERMIsKilledAfterTheGracePeriod() async throws {
        let stubborn = try ChildProcess(
            executable: "/bin/sh", arguments: ["-c", "trap '' TERM; sleep 30"], outputPath: nil)
        try await Task.sleep(for: .milliseconds(200))  // the trap is set
        await stubborn.stop(gracePeriod: .milliseconds(300))
        #expect(stubborn.exitStatus == Int32(137))  // 128 + SIGKILL: killed, not the 30 s sleep's end
    }
}
