import CakapWorker
import Foundation
import Hummingbird
import HummingbirdTesting
import Testing

/// Issue 19, HIGH 1: options that size memory or start processes are bounded, and a worker runs
/// at most `CAKAP_MAX_ENGINES` engines. The same attack through the whole fleet with a real
/// `llama-server` is tests/security/test_security_limits.py.
@Suite struct WorkerLimitsTests {
    @Test func engineCapStopsTheLeastRecentlyUsedIdleEngineThenAnswersBusy() async throws {
        let launcher = FakeEngineLauncher()
        let scheduler = EngineScheduler(
            launcher: launcher, parallel: 1, maxQueue: 4, threads: 1, maxEngines: 2, drainTimeout: .seconds(1),
            logger: .init(label: "test"))
        let model = ModelHandle(path: "/models/tiny", displayName: "tiny", isEmbedding: false)
        let first = try await scheduler.acquire(model, contextLength: 512)
        await scheduler.release(first, keepAlive: nil)
        let second = try await scheduler.acquire(model, contextLength: 1024)
        await scheduler.release(second, keepAlive: nil)
        // A third size stops the 512 engine (least recently used), though its keep-alive is forever.
        let third = try await scheduler.acquire(model, contextLength: 2048)
        #expect(await scheduler.loaded().map(\.contextLength).sorted() == [1024, 2048])
        #expect(launcher.engines.first?.hasExited == true)
        // Both engines busy: a fourth size is refused with a 503, not started.
        let busy = try await scheduler.acquire(model, contextLength: 1024)
        await #expect(throws: WorkerError.enginesBusy) { try await scheduler.acquire(model, contextLength: 4096) }
        #expect(launcher.launches == 3)
        await scheduler.release(third, keepAlive: nil)
        await scheduler.release(busy, keepAlive: nil)
    }

    @Test func outOfRangeOptionsAreA400AndNeverATrap() async throws {
        let fixture = try WorkerFixture()
        try await fixture.test { client in
            for (options, message) in [
                (#"{"num_ctx":9223372036854775807}"#, "num_ctx must be between 16 and 32768"),
                (#"{"num_ctx":-9223372036854775808}"#, "num_ctx must be between 16 and 32768"),
                (#"{"num_ctx":65536}"#, "num_ctx must be between 16 and 32768"),
                (#"{"num_ctx":8}"#, "num_ctx must be between 16 and 32768"),
                (#"{"num_predict":9223372036854775807}"#, "num_predict must be between -2 and 1048576"),
            ] {
                for (route, model) in [("/api/generate", "tiny"), ("/api/chat", "tiny"), ("/api/embed", "tiny-embed")] {
                    let body =
                        #"{"model":"\#(model)","prompt":"hi","messages":[{"role":"user","content":"hi"}],"#
                        + #""input":"hi","options":"#
                    try await client.execute(
                        uri: route, method: .post, body: .json(body + options + "}")
                    ) { response in
                        #expect(response.status == .badRequest, "\(route) \(options)")
                        #expect(jsonObject(response.body)["error"] as? String == message, "\(route) \(options)")
                    }
                }
            }
        }
        #expect(fixture.launcher.launches == 0)
    }

    @Test func distinctContextLengthsShareAFewEngines() async throws {
        var fixture = try WorkerFixture()
        fixture.configuration.maxEngines = 64
        try await fixture.test { client in
            for numCtx in Array(16...40) + [500, 511, 512, 513, 1000, 1023] {
                let body = #"{"model":"tiny","prompt":"","keep_alive":-1,"options":{"num_ctx":\#(numCtx)}}"#
                try await client.execute(uri: "/api/generate", method: .post, body: .json(body)) { response in
                    #expect(response.status == .ok, "num_ctx \(numCtx)")
                }
            }
            try await client.execute(uri: "/api/ps", method: .get) { response in
                let models = jsonObject(response.body)["models"] as? [[String: Any]] ?? []
                #expect(models.count == 2)  // 512 and 1024
            }
        }
        #expect(fixture.launcher.launches == 2)
    }

    @Test func contextBucketsArePowersOfTwoFrom512UpToTheMaximum() {
        #expect(Worker.contextBucket(16, default: 2048, maximum: 32768) == 512)
        #expect(Worker.contextBucket(2048, default: 2048, maximum: 32768) == 2048)
        #expect(Worker.contextBucket(2049, default: 2048, maximum: 32768) == 4096)
        #expect(Worker.contextBucket(3000, default: 3000, maximum: 32768) == 3000)
        #expect(Worker.contextBucket(30000, default: 2048, maximum: 30000) == 30000)
    }
}
