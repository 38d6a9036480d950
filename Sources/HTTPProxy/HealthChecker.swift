import AsyncHTTPClient
import Foundation
import Logging
import NIOCore
import ServiceLifecycle

/// Active health checks, like an ALB target group's: each check's `GET url` every `interval`,
/// passing on 200 within `timeout`, its result handed to the check's `record`. The balancer checks
/// its targets' readiness; the edge checks the regions' balancers (`RegionHealth`).
public struct HealthChecker: Service {
    /// One endpoint and what to do with each result.
    public struct Check: Sendable {
        public var url: String
        public var record: @Sendable (_ passed: Bool) -> Void

        public init(url: String, record: @escaping @Sendable (_ passed: Bool) -> Void) {
            self.url = url
            self.record = record
        }
    }

    let checks: [Check]
    let interval: Duration
    let timeout: Duration
    let httpClient: HTTPClient

    public init(checks: [Check], interval: Duration, timeout: Duration, httpClient: HTTPClient) {
        self.checks = checks
        self.interval = interval
        self.timeout = timeout
        self.httpClient = httpClient
    }

    public func run() async throws {
        try? await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                await checkAll()
                try await Task.sleep(for: interval)
            }
        }
    }

    /// One round of checks, all concurrently.
    func checkAll() async {
        await withTaskGroup(of: Void.self) { group in
            for check in checks {
                group.addTask {
                    check.record(await Self.passes(url: check.url, timeout: timeout, httpClient: httpClient))
                }
            }
        }
    }

    /// One check: `GET url` on a fresh connection (a kept-alive one to a host that vanished would
    /// only time out) answers 200 within `timeout`.
    public static func passes(url: String, timeout: Duration, httpClient: HTTPClient) async -> Bool {
        var request = HTTPClientRequest(url: url)
        request.headers.add(name: "Connection", value: "close")
        guard
            let response = try? await httpClient.execute(request, timeout: max(TimeAmount(timeout), .milliseconds(100)))
        else {
            return false
        }
        _ = try? await response.body.collect(upTo: 1 << 20)
        return response.status == .ok
    }
}
