import CakapMetrics
import Foundation
import Hummingbird
import Logging
import Prometheus

/// The worker's Prometheus metrics: requests by route and status, tokens generated, queue depth,
/// model load time.
public final class WorkerMetrics: Sendable {
    let registry = PrometheusCollectorRegistry()
    let queueDepth: Gauge
    let loadTime: DurationHistogram

    public init() {
        queueDepth = registry.makeGauge(
            descriptor: PrometheusCollectorRegistry.descriptor(
                "cakap_worker_queue_depth", "Requests waiting for an engine slot"))
        loadTime = registry.makeDurationHistogram(
            descriptor: PrometheusCollectorRegistry.descriptor(
                "cakap_worker_model_load_seconds", "Time to start an engine and load its model"),
            buckets: [
                .milliseconds(250), .milliseconds(500), .seconds(1), .seconds(2), .seconds(5), .seconds(10),
                .seconds(30), .seconds(60),
            ])
    }

    func recordRequest(route: String, status: Int) {
        registry.counter(
            "cakap_worker_requests_total", labels: [("route", route), ("status", String(status))],
            help: "HTTP requests by route and status"
        ).increment()
    }

    func recordTokens(_ count: Int, model: String) {
        registry.counter(
            "cakap_worker_tokens_generated_total", labels: [("model", model)], help: "Tokens generated"
        ).increment(by: Int64(count))
    }

    func recordLoad(_ duration: Duration) {
        loadTime.record(duration)
    }

    func setQueueDepth(_ depth: Int) {
        queueDepth.set(Double(depth))
    }

    func render() -> [UInt8] {
        var buffer: [UInt8] = []
        registry.emit(into: &buffer)
        return buffer
    }
}

/// Counts every request by its route pattern (not the raw path, to bound label cardinality).
struct WorkerMetricsMiddleware<Context: RequestContext>: RouterMiddleware {
    let metrics: WorkerMetrics

    func handle(
        _ request: Request, context: Context, next: (Request, Context) async throws -> Response
    ) async throws -> Response {
        let route = context.endpointPath ?? "unmatched"
        do {
            let response = try await next(request, context)
            metrics.recordRequest(route: route, status: response.status.code)
            return response
        } catch let error as any HTTPResponseError {
            metrics.recordRequest(route: route, status: error.status.code)
            throw error
        } catch {
            metrics.recordRequest(route: route, status: 500)
            throw error
        }
    }
}

/// Turns every error into Ollama's `{"error": "..."}` body: ours keep their status and message,
/// Hummingbird's (404 for an unknown path, 405) keep their status, anything else is a logged 500.
struct WorkerErrorMiddleware<Context: RequestContext>: RouterMiddleware {
    let logger: Logger

    func handle(
        _ request: Request, context: Context, next: (Request, Context) async throws -> Response
    ) async throws -> Response {
        do {
            return try await next(request, context)
        } catch let error as WorkerError {
            if error.status.code >= 500 { logger.error("\(request.method) \(request.uri.path): \(error.message)") }
            throw error
        } catch let error as HTTPError {
            let message = error.status == .notFound ? "404 page not found" : (error.body ?? error.status.reasonPhrase)
            throw WorkerError(error.status, message)
        } catch {
            logger.error("\(request.method) \(request.uri.path) failed: \(error)")
            throw WorkerError(.internalServerError, "internal error")
        }
    }
}
