import AsyncHTTPClient
import Foundation
import NIOCore

/// What the check page shows (R-APP-9): every region's balancer, pool and zone with health and
/// latency, and the services behind the edge. Answered by `GET /status` (signed-in only).
public struct StatusReport: Codable, Sendable, Equatable {
    /// One probe: whether it passed, how long it took, and why not.
    public struct Check: Codable, Sendable, Equatable {
        /// True when the endpoint answered as it should.
        public var healthy: Bool
        /// Round trip in milliseconds; nil when nothing answered.
        public var latencyMs: Double?
        /// What went wrong, in words (never an internal address).
        public var error: String?

        public init(healthy: Bool, latencyMs: Double?, error: String? = nil) {
            self.healthy = healthy
            self.latencyMs = latencyMs
            self.error = error
        }
    }

    /// One worker as its region's balancer sees it, probed once more by the edge.
    public struct Target: Codable, Sendable, Equatable {
        /// The availability zone letter (`a`, or `b` for the backup).
        public var zone: String
        /// The balancer's view: passing its health checks.
        public var balancerHealthy: Bool
        /// Requests the balancer has in flight to it.
        public var outstanding: Int
        /// The edge's own `GET /health/ready` to the worker.
        public var check: Check
    }

    public struct Pool: Codable, Sendable, Equatable {
        public var name: String
        public var targets: [Target]
        /// At least one target both the balancer and the edge found healthy.
        public var healthy: Bool

        public init(name: String, targets: [Target]) {
            self.name = name
            self.targets = targets
            healthy = targets.contains { $0.balancerHealthy && $0.check.healthy }
        }
    }

    public struct Region: Codable, Sendable, Equatable {
        public var name: String
        /// `GET /` of the balancer (`its worked!`, R-LLM-5).
        public var balancer: Check
        /// Empty when the balancer's admin port is unknown or did not answer.
        public var pools: [Pool]
    }

    public struct Service: Codable, Sendable, Equatable {
        public var name: String
        public var check: Check
    }

    /// When the report was made (RFC 3339).
    public var checkedAt: String
    public var regions: [Region]
    public var services: [Service]
}

/// One HTTP GET for the status report: status code and body, or the error. A seam so the report's
/// logic is unit-tested without sockets.
public protocol StatusProbe: Sendable {
    /// `GET url` within `timeout`; throws when nothing answers.
    func get(_ url: String, timeout: Duration) async throws -> (status: Int, body: String)
}

/// Builds the status report from the edge's configuration, probing everything concurrently.
public struct StatusReporter: Sendable {
    let regions: [EdgeConfiguration.RegionUpstream]
    let services: [(name: String, url: String?)]
    let probe: any StatusProbe
    let timeout: Duration

    public init(
        regions: [EdgeConfiguration.RegionUpstream], services: [(name: String, url: String?)], probe: any StatusProbe,
        timeout: Duration = .seconds(3)
    ) {
        self.regions = regions
        self.services = services
        self.probe = probe
        self.timeout = timeout
    }

    /// The whole report; never throws: a failed probe is an unhealthy check.
    public func report(now: Date = Date()) async -> StatusReport {
        async let regionReports = Self.concurrentMap(regions) { await self.report($0) }
        async let serviceReports = Self.concurrentMap(services) { service in
            guard let url = service.url else {
                return StatusReport.Service(
                    name: service.name, check: .init(healthy: false, latencyMs: nil, error: "not configured"))
            }
            return StatusReport.Service(name: service.name, check: await self.check(url + "/healthz"))
        }
        return StatusReport(
            checkedAt: ISO8601DateFormatter().string(from: now), regions: await regionReports,
            services: await serviceReports)
    }

    /// `transform` of every item, all at once, in the items' order.
    static func concurrentMap<Item: Sendable, Result: Sendable>(
        _ items: [Item], _ transform: @escaping @Sendable (Item) async -> Result
    ) async -> [Result] {
        await withTaskGroup(of: (Int, Result).self) { group in
            for (index, item) in items.enumerated() { group.addTask { (index, await transform(item)) } }
            return await group.reduce(into: []) { $0.append($1) }.sorted { $0.0 < $1.0 }.map(\.1)
        }
    }

    func report(_ region: EdgeConfiguration.RegionUpstream) async -> StatusReport.Region {
        async let balancer = check(region.balancerURL + "/", expecting: "its worked!")
        guard let admin = region.adminURL else {
            return .init(name: region.name, balancer: await balancer, pools: [])
        }
        struct BalancerTarget: Decodable {
            var url: String
            var zone: String
            var healthy: Bool
            var outstanding: Int
        }
        var pools: [StatusReport.Pool] = []
        if let answer = try? await probe.get(admin + "/targets", timeout: timeout), answer.status == 200,
            let document = try? JSONDecoder().decode([String: [BalancerTarget]].self, from: Data(answer.body.utf8))
        {
            for (name, targets) in document.sorted(by: { $0.key < $1.key }) {
                var checked: [StatusReport.Target] = []
                for target in targets.sorted(by: { $0.zone < $1.zone }) {
                    checked.append(
                        .init(
                            zone: target.zone, balancerHealthy: target.healthy, outstanding: target.outstanding,
                            check: await check(target.url + "/health/ready")))
                }
                pools.append(.init(name: name, targets: checked))
            }
        }
        return .init(name: region.name, balancer: await balancer, pools: pools)
    }

    /// One timed GET: healthy on 200 (and the expected body, if given).
    func check(_ url: String, expecting expected: String? = nil) async -> StatusReport.Check {
        let clock = ContinuousClock()
        let started = clock.now
        do {
            let answer = try await probe.get(url, timeout: timeout)
            let elapsed = clock.now - started
            let milliseconds =
                Double(elapsed.components.seconds) * 1e3 + Double(elapsed.components.attoseconds) / 1e15
            let rounded = (milliseconds * 10).rounded() / 10
            guard answer.status == 200 else {
                return .init(healthy: false, latencyMs: rounded, error: "answered \(answer.status)")
            }
            if let expected, !answer.body.contains(expected) {
                return .init(healthy: false, latencyMs: rounded, error: "unexpected answer")
            }
            return .init(healthy: true, latencyMs: rounded)
        } catch {
            return .init(healthy: false, latencyMs: nil, error: "no answer")
        }
    }
}

/// The real probe: AsyncHTTPClient, bodies up to 64 KiB.
public struct HTTPStatusProbe: StatusProbe {
    let httpClient: HTTPClient

    public init(httpClient: HTTPClient) {
        self.httpClient = httpClient
    }

    public func get(_ url: String, timeout: Duration) async throws -> (status: Int, body: String) {
        let response = try await httpClient.execute(HTTPClientRequest(url: url), timeout: TimeAmount(timeout))
        let body = try await response.body.collect(upTo: 1 << 16)
        return (Int(response.status.code), String(buffer: body))
    }
}
