import CakapWorker
import Foundation
import Hummingbird
import HummingbirdTesting
import Logging
import Testing

/// Slots, queue, crash recovery and backoff (issue 2, §5), over a fake engine.
@Suite struct WorkerSchedulingTests {
    @Test func excessRequestsGetOllamasBusyError() async throws {
        let scheduler = EngineScheduler(
            launcher: FakeEngineLauncher(), parallel: 1, maxQueue: 1, threads: 1, drainTimeout: .seconds(1),
            logger: .init(label: "test"))
        let model = ModelHandle(path: "/models/tiny", displayName: "tiny", isEmbedding: false)
        let first = try await scheduler.acquire(model, contextLength: 512)
        let queued = Task { try await scheduler.acquire(model, contextLength: 512) }
        while await scheduler.queueDepth == 0 { try await Task.sleep(for: .milliseconds(5)) }
        await #expect(throws: WorkerError.busy) { try await scheduler.acquire(model, contextLength: 512) }
        // Releasing the running request hands its slot to the queued one.
        await scheduler.release(first, keepAlive: .seconds(60))
        let second = try await queued.value
        #expect(await scheduler.queueDepth == 0)
        #expect(await scheduler.loaded().first?.activeRequests == 1)
        await scheduler.release(second, keepAlive: .seconds(60))
        #expect(await scheduler.loaded().first?.freeSlots == 1)
    }

    @Test func crashMidStreamEndsWithAnErrorLineAndTheNextRequestWorks() async throws {
        let launcher = FakeEngineLauncher(tokenDelay: .milliseconds(5))
        launcher.crashFirstEngineAfterTokens = 2
        let fixture = try WorkerFixture(launcher: launcher)
        try await fixture.test(.live) { client in
            let streamed = try await client.execute(
                uri: "/api/chat", method: .post,
                body: .json(#"{"model":"tiny","messages":[{"role":"user","content":"hi"}]}"#)
            ) { ($0.status, ndjsonObjects($0.body)) }
            let (status, lines) = streamed
            #expect(status == .ok)
            #expect(lines.count == 3)  // two tokens, then the error line
            #expect(lines.last?["error"] != nil)
            #expect(lines.last?["done"] == nil)
            try await client.execute(
                uri: "/api/generate", method: .post, body: .json(#"{"model":"tiny","prompt":"again","stream":false}"#)
            ) { response in
                #expect(response.status == .ok)
                #expect(jsonObject(response.body)["response"] as? String == "Hello there, friend!")
            }
            #expect(launcher.launches == 2)
        }
    }

    /// R-LLM-6: a real engine's sockets close before its exit is reaped, so the next request can
    /// arrive while the dead engine still looks ready. It must start a new engine, not fail or hang
    /// on the dead one (the rare 60 s hang of tests/integration/test_crash.py).
    @Test func aDeadEngineWhoseExitIsNotYetHeardIsReplacedAtOnce() async throws {
        let launcher = FakeEngineLauncher()
        let fixture = try WorkerFixture(launcher: launcher)
        let request = #"{"model":"tiny","prompt":"hi","stream":false}"#
        try await fixture.test(.live) { client in
            try await client.execute(uri: "/api/generate", method: .post, body: .json(request)) { response in
                #expect(response.status == .ok)
            }
            try #require(launcher.engines.count == 1)
            launcher.engines[0].crash(watchersToldAfter: .seconds(30))
            try await client.execute(uri: "/api/generate", method: .post, body: .json(request)) { response in
                #expect(response.status == .ok)
                #expect(jsonObject(response.body)["response"] as? String == "Hello there, friend!")
            }
            #expect(launcher.launches == 2)
        }
    }

    @Test func anEngineThatFailsToStartBacksOff() async throws {
        let launcher = FakeEngineLauncher()
        launcher.failure = "simulated crash on start"
        let fixture = try WorkerFixture(launcher: launcher)
        try await fixture.test { client in
            let body = ByteBuffer.json(#"{"model":"tiny","prompt":"x","stream":false}"#)
            try await client.execute(uri: "/api/generate", method: .post, body: body) { response in
                #expect(response.status == .internalServerError)
                #expect((jsonObject(response.body)["error"] as? String)?.contains("simulated crash on start") == true)
            }
            try await client.execute(uri: "/api/generate", method: .post, body: body)
            try await client.execute(uri: "/api/generate", method: .post, body: body) { response in
                // No tight loop: within the backoff window the worker answers without launching.
                #expect(response.status == .serviceUnavailable)
                #expect((jsonObject(response.body)["error"] as? String)?.contains("keeps failing") == true)
            }
            #expect(launcher.launches == 2)
        }
    }
}
