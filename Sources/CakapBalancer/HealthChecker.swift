import AsyncHTTPClient
import Foundation
import Logging
import ServiceLifecycle

/// Active health checks of every target, like an ALB target group's: `GET <readinessPath>` every
/// `interval`, a check passes on 200 within `timeout`.
public struct HealthChecker: Service {
    let pools: [TargetPool]
    let path: String
    let interval: Duration
    let timeout: Duration
    let httpClient: HTTPClient
    let logger: Logger

    public init(
        pools: [TargetPool], path: String, interval: Duration, timeout: Duration, httpClient: HTTPClient, logger: Logger
    ) {
        self.pools = pools
        self.path = path
        self.interval = interval
        self.timeout = timeout
        self.httpClient = httpClient
        self.logger = logger
    }

    public func run() async throws {
        try? await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                await checkAll()
                try await Task.sleep(for: interval)
            }
        }
    }

    /// One round of checks, all targets concurrently.
    func checkAll() async {
        await withTaskGroup(of: Void.self) { group in
            for pool in pools {
                for target in pool.targets {
                    group.addTask {
                        let passed = await check(target)
                        if let healthy = pool.recordCheck(target, passed: passed) {
                            logger.notice(
                                "target \(healthy ? "healthy" : "unhealthy")",
                                metadata: ["pool": "\(pool.name)", "target": "\(target.url)"])
                        }
                    }
                }
            }
        }
    }

    func check(_ target: TargetPool.Target) async -> Bool {
        await Self.passes(url: target.url + path, timeout: timeout, httpClient: httpClient)
    }

    /// One check: `GET url` on a fresh connection (a kept-alive one to a host that vanished would
    /// only time out) answers 200 within `timeout`.
    public static func passes(url: String, timeout: Duration, httpClient: HTTPClient) async -> Bool {
        var request = HTTPClientRequest(url: url)
        request.headers.add(name: "Connection", value: "close")
        let seconds = Int64(timeout.components.seconds)
        let milliseconds = seconds * 1000 + timeout.components.attoseconds / 1_000_000_000_000_000
        guard let response = try? await httpClient.execute(request, timeout: .milliseconds(max(milliseconds, 100)))
        else {
            return false
        }
        _ = try? await response.body.collect(upTo: 1 << 20)
        return response.status == .ok
    }
}
