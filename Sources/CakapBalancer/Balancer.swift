import AsyncHTTPClient
import CakapMetrics
import Foundation
import HTTPProxy
import HTTPTypes
import Hummingbird
import Logging
import NIOCore
import Prometheus
import ServiceLifecycle
import Topology

/// The regional balancer: the topology's path rules (R-LLM-5), health-checked target pools,
/// least-outstanding choice, one retry before the first response byte, streaming pass-through.
public struct Balancer: Sendable {
    let configuration: BalancerConfiguration
    let pools: [String: TargetPool]
    let forwarder: HTTPForwarder
    let metrics = PrometheusCollectorRegistry()
    let logger: Logger

    public init(configuration: BalancerConfiguration, httpClient: HTTPClient, logger: Logger) {
        self.configuration = configuration
        self.pools = Dictionary(
            uniqueKeysWithValues: configuration.pools.map { name, targets in
                (
                    name,
                    TargetPool(
                        name: name, targets: targets, healthyThreshold: configuration.healthyThreshold,
                        unhealthyThreshold: configuration.unhealthyThreshold,
                        maxInFlightPerTarget: configuration.maxInFlightPerTarget, startHealthy: true)
                )
            })
        self.forwarder = HTTPForwarder(httpClient: httpClient)
        self.logger = logger
    }

    /// Every service of a balancer: the listener, the admin listener and the health checker.
    public func services(httpClient: HTTPClient) -> [any Service] {
        let listener = Application(
            responder: CallbackResponder<ProxyRequestContext> { request, context in
                try await self.respond(to: request, context: context)
            },
            configuration: .init(address: .hostname(configuration.host, port: configuration.port)),
            logger: logger)
        let admin = Application(
            router: makeAdminRouter(),
            configuration: .init(address: .hostname(configuration.host, port: configuration.adminPort)),
            logger: logger)
        let checker = HealthChecker(
            pools: Array(pools.values), path: configuration.topology.worker.readinessPath,
            interval: configuration.healthInterval, timeout: configuration.healthTimeout, httpClient: httpClient,
            logger: logger)
        return [checker, admin, listener]
    }

    func respond(to request: Request, context: ProxyRequestContext) async throws -> Response {
        switch configuration.topology.decision(forPath: request.uri.path) {
        case .respond(let fixed):
            return Self.fixedResponse(fixed)
        case .forward(let poolName):
            let response = await forward(request, context: context, poolName: poolName)
            metrics.counter(
                "cakap_balancer_requests_total",
                labels: [("pool", poolName), ("status", String(response.status.code))],
                help: "Requests by pool and status"
            ).increment()
            return response
        }
    }

    /// Sends the request to a target of the pool; before any byte reached the client, a failed
    /// or busy target is retried once on another (R-LLM-5's failover within a region).
    private func forward(_ request: Request, context: ProxyRequestContext, poolName: String) async -> Response {
        guard let pool = pools[poolName] else { return Self.noHealthyTarget(poolName) }
        var request = request
        let body: ByteBuffer
        do {
            body = try await request.collectBody(upTo: configuration.maxBodyBytes)
        } catch {
            return Self.error(.contentTooLarge, "request body is larger than \(configuration.maxBodyBytes) bytes")
        }
        let upstreamRequest = UpstreamRequest(
            method: request.method, path: request.uri.path + (request.uri.query.map { "?" + $0 } ?? ""),
            headers: request.headers, body: body, clientAddress: context.remoteAddress?.ipAddress)
        var excluded: Set<TargetPool.Target> = []
        var busy = false
        for attempt in 0..<2 {
            let target: TargetPool.Target
            do {
                target = try pool.acquire(excluding: excluded)
            } catch {
                switch error {
                case .noHealthyTarget where busy:
                    return Self.error(.serviceUnavailable, "every connection to pool \(poolName) is busy")
                case .noHealthyTarget:
                    return attempt == 0
                        ? Self.noHealthyTarget(poolName) : Self.error(.badGateway, "no other target to retry on")
                case .allBusy:
                    return Self.error(.serviceUnavailable, "every target of pool \(poolName) is at its in-flight limit")
                }
            }
            switch await send(upstreamRequest, to: target, of: pool, mayRetry: attempt == 0) {
            case .answered(let response):
                return response
            case .retry(let targetWasBusy):
                excluded.insert(target)
                busy = busy || targetWasBusy
            }
        }
        if busy { return Self.error(.serviceUnavailable, "every connection to pool \(poolName) is busy") }
        return Self.error(.badGateway, "pool \(poolName): no target could be reached")
    }

    /// The request as every try sends it.
    private struct UpstreamRequest {
        var method: HTTPRequest.Method
        var path: String
        var headers: HTTPFields
        var body: ByteBuffer
        var clientAddress: String?
    }

    /// What one try on one target came to.
    private enum Attempt {
        /// The answer for the client (the target's, or an error once the target has done the work).
        case answered(Response)
        /// Nothing reached the client: try another target (`busy`: this one was busy, not broken).
        case retry(busy: Bool)
    }

    /// One try; the target is released (or ejected when broken) on every path.
    private func send(
        _ request: UpstreamRequest, to target: TargetPool.Target, of pool: TargetPool, mayRetry: Bool
    ) async -> Attempt {
        let upstream: HTTPForwarder.UpstreamResponse
        do {
            upstream = try await forwarder.forward(
                method: request.method, path: request.path, headers: request.headers, body: request.body,
                to: target.url, clientAddress: request.clientAddress)
        } catch {
            pool.release(target)
            if HTTPForwarder.isBusy(error) {
                // Busy, not gone: try another target, but keep this one in rotation.
                countRetry(pool.name, reason: "busy")
                return .retry(busy: true)
            }
            pool.eject(target)
            logger.warning(
                "target failed", metadata: ["pool": "\(pool.name)", "target": "\(target.url)", "error": "\(error)"])
            countRetry(pool.name, reason: "connection")
            return .retry(busy: false)
        }
        // A worker's 503 (busy) comes before any byte reached our client: retry once elsewhere.
        if upstream.status == .serviceUnavailable && mayRetry {
            _ = try? await upstream.body.collect(upTo: 1 << 16)
            pool.release(target)
            countRetry(pool.name, reason: "busy")
            return .retry(busy: false)
        }
        do {
            return .answered(try await upstream.response { _ in pool.release(target) })
        } catch {
            // The head came but the (small) body broke off: `response` has released the target;
            // nothing reached our client, but the upstream has done the work, so the answer is an
            // error rather than a second try.
            pool.eject(target)
            logger.warning(
                "target failed mid-body",
                metadata: ["pool": "\(pool.name)", "target": "\(target.url)", "error": "\(error)"])
            return .answered(Self.error(.badGateway, "pool \(pool.name): the target failed while answering"))
        }
    }

    private func countRetry(_ pool: String, reason: String) {
        metrics.counter(
            "cakap_balancer_retries_total", labels: [("pool", pool), ("reason", reason)],
            help: "Requests retried on another target before any response byte"
        ).increment()
    }

    // MARK: - Admin

    func makeAdminRouter() -> Router<BasicRequestContext> {
        let router = Router()
        router.get("/health") { _, _ in "ok" }
        router.get("/targets") { _, _ in
            var document: [String: [TargetPool.Status]] = [:]
            for (name, pool) in pools { document[name] = pool.statuses() }
            return try Self.json(document)
        }
        router.get("/metrics") { _, _ in
            for (name, pool) in pools {
                metrics.gauge(
                    "cakap_balancer_healthy_targets", labels: [("pool", name)], help: "Healthy targets by pool"
                )
                .set(Double(pool.healthyCount))
            }
            var buffer: [UInt8] = []
            metrics.emit(into: &buffer)
            var headers = HTTPFields()
            headers[.contentType] = "text/plain; version=0.0.4; charset=utf-8"
            return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: buffer)))
        }
        return router
    }

    // MARK: - Responses

    static func fixedResponse(_ fixed: Topology.FixedResponse) -> Response {
        var headers = HTTPFields()
        headers[.contentType] = fixed.contentType
        return Response(
            status: HTTPResponse.Status(code: fixed.status), headers: headers,
            body: .init(byteBuffer: ByteBuffer(string: fixed.body)))
    }

    static func noHealthyTarget(_ pool: String) -> Response {
        var response = error(.serviceUnavailable, "no healthy target in pool \(pool)")
        response.headers[HTTPField.Name(HTTPForwarder.noHealthyTargetHeader)!] = "true"
        return response
    }

    /// `{"error": "..."}`, as the workers answer.
    public static func error(_ status: HTTPResponse.Status, _ message: String) -> Response {
        var headers = HTTPFields()
        headers[.contentType] = "application/json; charset=utf-8"
        if status == .serviceUnavailable { headers[.retryAfter] = "1" }
        let body = (try? JSONEncoder().encode(["error": message])) ?? Data()
        return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: body)))
    }

    static func json(_ value: some Encodable) throws -> Response {
        var headers = HTTPFields()
        headers[.contentType] = "application/json; charset=utf-8"
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return Response(
            status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: try encoder.encode(value))))
    }
}
