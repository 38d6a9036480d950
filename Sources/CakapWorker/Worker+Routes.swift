import Hummingbird

extension Worker {
    /// The worker's one route table (STYLE.md §3): Ollama's API, then the fleet's extras.
    func makeRouter() -> Router<BasicRequestContext> {
        let router = Router()
        router.add(middleware: WorkerCORSMiddleware(allowedOrigins: configuration.corsOrigins))
        router.add(middleware: WorkerErrorMiddleware(logger: logger))
        router.add(middleware: WorkerMetricsMiddleware(metrics: metrics))

        // Ollama's API (R-LLM-4, R-LLM-6).
        router.get("/") { _, _ in "Ollama is running" }
        router.head("/") { _, _ in "Ollama is running" }
        router.get("/api/version") { _, _ in try jsonResponse(VersionBody(version: Self.ollamaVersion)) }
        router.get("/api/tags") { _, _ in try self.listModels() }
        router.head("/api/tags") { _, _ in try self.listModels() }
        router.get("/api/ps") { _, _ in try await self.runningModels() }
        router.post("/api/show") { request, _ in try await self.show(request) }
        router.post("/api/pull") { request, _ in try await self.pull(request) }
        router.delete("/api/delete") { request, _ in try await self.delete(request) }
        router.post("/api/copy") { request, _ in try await self.copy(request) }
        router.post("/api/generate") { request, _ in try await self.generate(request) }
        router.post("/api/chat") { request, _ in try await self.chat(request) }
        router.post("/api/embed") { request, _ in try await self.embed(request) }
        router.post("/api/embeddings") { request, _ in try await self.legacyEmbeddings(request) }

        // For the fleet: balancer health checks and Prometheus.
        router.get("/health/live") { _, _ in try jsonResponse(["status": "ok"]) }
        router.get("/health/ready") { _, _ in try await self.readiness() }
        router.get("/metrics") { _, _ in await self.metricsResponse() }
        return router
    }
}

struct VersionBody: Encodable {
    var version: String
}
