import AsyncHTTPClient
import Foundation
import HTTPProxy
import HTTPTypes
import Hummingbird
import Identity
import Logging
import NIOCore
import ServiceLifecycle
import ServiceServer
import TokenVerification

/// The edge: API Gateway's job locally. `/{region}/{proxy+}` to that region's balancer at
/// `/api/{proxy}` (R-API-2), the conversations routes (R-API-1), a Cognito-style authorizer on
/// every API route (R-AUTH-6), per-user throttling, CORS, and the static web app.
/// Beyond the brief: when the chosen region cannot serve, the other one answers, and
/// `x-cakap-region` says which did.
public struct Edge: Sendable {
    let configuration: EdgeConfiguration
    let verifier: TokenVerifier
    let identityProvider: DevelopmentIdentityProvider?
    let forwarder: HTTPForwarder
    let throttle: Throttle
    let inFlight: InFlightLimiter
    let statusReporter: StatusReporter
    let regionHealth: RegionHealth
    let httpClient: HTTPClient
    let logger: Logger

    /// The response header naming the region that answered.
    public static let regionHeader = "x-cakap-region"

    public init(configuration: EdgeConfiguration, httpClient: HTTPClient, logger: Logger) throws {
        self.configuration = configuration
        switch configuration.identity {
        case .development(let dataDirectory, let poolId, let clientId):
            var settings = IdentityPoolSettings.development(publicBaseURL: configuration.publicURL + "/idp")
            settings.poolId = poolId
            settings.clientId = clientId
            settings.autoConfirmSignUp = configuration.autoConfirmSignUp
            let provider = try DevelopmentIdentityProvider(
                settings: settings, dataDirectory: dataDirectory, logger: logger)
            identityProvider = provider
            verifier = TokenVerifier(
                issuer: settings.issuer, audience: clientId, keySource: provider, logger: logger,
                resultCacheSeconds: configuration.authorizerCacheSeconds)
        case .external(let jwksURL, let issuer, let clientId):
            identityProvider = nil
            verifier = TokenVerifier(
                issuer: issuer, audience: clientId, keySource: HTTPKeySetSource(url: jwksURL, httpClient: httpClient),
                logger: logger, resultCacheSeconds: configuration.authorizerCacheSeconds)
        }
        forwarder = HTTPForwarder(httpClient: httpClient)
        throttle = Throttle(rate: configuration.throttleRate, burst: configuration.throttleBurst)
        inFlight = InFlightLimiter(limit: configuration.maxModelRequestsPerUser)
        statusReporter = StatusReporter(
            regions: configuration.regions,
            services: [("conversations", configuration.conversationsURL), ("tutor", configuration.tutorURL)],
            probe: HTTPStatusProbe(httpClient: httpClient))
        regionHealth = RegionHealth(regions: configuration.regions.map(\.name))
        self.httpClient = httpClient
        self.logger = logger
    }

    /// Every service of the edge: the HTTP application and the probes of the regions' balancers.
    public func services() -> [any Service] {
        let probe = HealthChecker.regions(
            configuration.regions, health: regionHealth, interval: configuration.regionCheckInterval,
            timeout: configuration.regionCheckTimeout, httpClient: httpClient, logger: logger)
        return [probe, application()]
    }

    /// The edge's HTTP application.
    public func application() -> some ApplicationProtocol {
        Application(
            router: makeRouter(),
            // Closes a connection that has sent no complete request head for this long (a slowloris
            // client trickling header bytes holds nothing), or whose body has not all arrived
            // `bodyTimeoutSeconds` after its head (issue 19: the idle timer restarts at every byte).
            server: .http1(
                configuration: .guarded(
                    idleTimeout: .seconds(Int64(configuration.idleTimeoutSeconds)),
                    bodyDeadline: .seconds(Int64(configuration.bodyTimeoutSeconds)))),
            configuration: .init(address: .hostname(configuration.host, port: configuration.port)),
            logger: logger)
    }

    /// The one route table (STYLE.md §3).
    func makeRouter() -> Router<ProxyRequestContext> {
        let router = Router(context: ProxyRequestContext.self)
        router.add(
            middleware: SecurityHeadersMiddleware(
                identityEndpoint: WebClientSettings(edge: configuration).identityEndpoint))
        router.add(middleware: CORSOriginMiddleware(allowedOrigins: configuration.corsOrigins))
        router.get("/healthz") { _, _ in "ok" }
        router.get("/config.js") { _, _ in try self.webSettingsResponse() }
        router.get("/status") { request, _ in try await self.statusRoute(request) }
        if let identityProvider { identityProvider.addRoutes(to: router.group("idp")) }
        for region in configuration.regions {
            for method in [HTTPRequest.Method.get, .post] {
                router.on("/\(region.name)/**", method: method) { request, context in
                    try await self.regionRoute(request, context: context, region: region.name)
                }
            }
        }
        for method in [HTTPRequest.Method.get, .post, .put, .delete] {
            router.on("/conversations/**", method: method) { request, context in
                try await self.serviceRoute(
                    request, context: context, to: self.configuration.conversationsURL, name: "conversations")
            }
        }
        router.on("/tutor/**", method: .post) { request, context in
            try await self.serviceRoute(request, context: context, to: self.configuration.tutorURL, name: "tutor")
        }
        if let web = configuration.webDirectory, FileManager.default.fileExists(atPath: web) {
            router.add(middleware: FileMiddleware(web, searchForIndexHtml: true, logger: logger))
        }
        return router
    }

    // MARK: - Routes

    /// Worker routes that change the model store every learner shares (issue 19's model-management
    /// policy): learners use models; only an operator pulls, creates, pushes, copies or deletes
    /// them, with the CLI on the machine or the region's balancer, which the public API does not
    /// reach. `pull` let any learner make the fleet download any model (a 40 GB one fills the shared
    /// disk; every file is parsed by `llama-server`); `copy` could put any model under the chat
    /// model's name (issue 9). API Gateway does the same with mock methods (infra/cloudformation).
    static let operatorOnlyRoutes: Set<String> = ["pull", "create", "push", "copy", "delete"]

    /// Authorizer, then throttle: the order API Gateway applies them.
    func authorize(_ request: Request) async throws -> VerifiedIdentity {
        let identity = try await verifier.verify(authorizationHeader: request.headers[.authorization])
        guard await throttle.allow(identity.sub) else {
            throw EdgeError(.tooManyRequests, "Too Many Requests")
        }
        return identity
    }

    func regionRoute(_ request: Request, context: ProxyRequestContext, region: String) async throws -> Response {
        let identity = try await authorize(request)
        var request = request
        let collected: ByteBuffer
        do {
            collected = try await request.collectBody(upTo: configuration.maxBodyBytes)
        } catch {
            throw EdgeError(.contentTooLarge, "Request Too Long")
        }
        let proxy = context.parameters.getCatchAll().joined(separator: "/")
        if let first = context.parameters.getCatchAll().first(where: { !$0.isEmpty })?.lowercased(),
            Self.operatorOnlyRoutes.contains(first)
        {
            throw EdgeError(
                .forbidden,
                "/\(region)/\(first) changes the shared model store and is not part of the public API; "
                    + "operators manage models on the workers themselves")
        }
        let body = Self.learnerBody(collected)
        guard await inFlight.enter(identity.sub) else {
            throw EdgeError(
                .tooManyRequests,
                "Too Many Requests: at most \(configuration.maxModelRequestsPerUser) model requests at once per user")
        }
        let inFlight = self.inFlight
        let release = OnceAction { await inFlight.leave(identity.sub) }
        do {
            return try await forwardToRegions(
                request, body: body, proxy: proxy, region: region, context: context, onFinish: { _ in await release() })
        } catch {
            await release()
            throw error
        }
    }

    /// The region's balancer, or the other region's when this one cannot serve (no healthy target).
    /// `onFinish` runs once the response's body has ended (not when this throws).
    private func forwardToRegions(
        _ request: Request, body: ByteBuffer, proxy: String, region: String, context: ProxyRequestContext,
        onFinish: @escaping @Sendable (Bool) async -> Void
    ) async throws -> Response {
        let path = "/api/" + proxy + (request.uri.query.map { "?" + $0 } ?? "")
        let names = regionHealth.order(configuration.regions.map(\.name), requested: region)
        let order = names.compactMap { name in configuration.regions.first { $0.name == name } }
        for (index, upstream) in order.enumerated() {
            let isLast = index == order.count - 1
            do {
                let response = try await forward(
                    request, body: body, path: path, to: upstream, requestedRegion: region, context: context,
                    watched: !isLast)
                if !isLast, response.status == .serviceUnavailable,
                    response.headers[HTTPField.Name(HTTPForwarder.noHealthyTargetHeader)!] == "true"
                {
                    _ = try? await response.body.collect(upTo: 1 << 16)
                    logger.warning("failing over", metadata: ["from": "\(upstream.name)", "path": "\(path)"])
                    continue
                }
                var extra = HTTPFields()
                extra[HTTPField.Name(Self.regionHeader)!] = upstream.name
                return try await response.response(extraHeaders: extra, onFinish: onFinish)
            } catch {
                logger.warning("region unreachable", metadata: ["region": "\(upstream.name)", "error": "\(error)"])
                if isLast { throw EdgeError(.badGateway, "no region could serve the request") }
            }
        }
        throw EdgeError(.badGateway, "no region could serve the request")
    }

    /// The web app's settings as `config.js` (docs/web.md): generated, so nothing is written into
    /// the web folder and the file always matches this edge. Never cached: a restart may change it.
    func webSettingsResponse() throws -> Response {
        let script = try WebClientSettings(edge: configuration).javascriptModule()
        var headers = HTTPFields()
        headers[.contentType] = "text/javascript; charset=utf-8"
        headers[.cacheControl] = "no-store"
        return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(string: script)))
    }

    /// The check page's report (R-APP-9): signed-in only, like every API route.
    func statusRoute(_ request: Request) async throws -> Response {
        _ = try await authorize(request)
        let report = await statusReporter.report()
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        var headers = HTTPFields()
        headers[.contentType] = "application/json"
        headers[.cacheControl] = "no-store"
        return Response(
            status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: try encoder.encode(report))))
    }

    /// Forwards to a region's balancer. When `watched` (another region is left to try), gives up
    /// as soon as the probes mark this region down: with its link cut the head would never come,
    /// and no byte has reached the client yet, so the next region can still answer.
    func forward(
        _ request: Request, body: ByteBuffer, path: String, to upstream: EdgeConfiguration.RegionUpstream,
        requestedRegion: String, context: ProxyRequestContext, watched: Bool
    ) async throws -> HTTPForwarder.UpstreamResponse {
        let forwarder = self.forwarder
        let clientAddress = context.remoteAddress?.ipAddress
        let send: @Sendable () async throws -> HTTPForwarder.UpstreamResponse = {
            [method = request.method, headers = request.headers] in
            try await forwarder.forward(
                method: method, path: path, headers: headers, body: body, to: upstream.balancerURL,
                clientAddress: clientAddress,
                extraHeaders: [("x-cakap-requested-region", requestedRegion)], isFirstHop: true,
                droppedHeaders: ["authorization"])
        }
        guard watched else { return try await send() }
        let health = regionHealth
        let attempt = Task { try await send() }
        let watch = health.whenDown(upstream.name) { attempt.cancel() }
        defer { health.stopWatching(watch) }
        do {
            return try await withTaskCancellationHandler {
                try await attempt.value
            } onCancel: {
                attempt.cancel()
            }
        } catch {
            if !Task.isCancelled && !health.isHealthy(upstream.name) {
                throw EdgeError(.badGateway, "region \(upstream.name) became unreachable")
            }
            throw error
        }
    }

    /// Authorizer, then the request as it came to a service behind the edge (a Lambda on AWS).
    func serviceRoute(
        _ request: Request, context: ProxyRequestContext, to serviceURL: String?, name: String
    )
        async throws -> Response
    {
        _ = try await authorize(request)
        guard let serviceURL else {
            throw EdgeError(.serviceUnavailable, "the \(name) service is not configured")
        }
        var request = request
        let body = try await request.collectBody(upTo: configuration.maxBodyBytes)
        let path = request.uri.path + (request.uri.query.map { "?" + $0 } ?? "")
        let response: HTTPForwarder.UpstreamResponse
        do {
            response = try await forwarder.forward(
                method: request.method, path: path, headers: request.headers, body: body, to: serviceURL,
                clientAddress: context.remoteAddress?.ipAddress, isFirstHop: true)
        } catch {
            // A clear JSON error, never a bare 500 (API Gateway answers 502/504 alike); the web app
            // queues the change and tries again (docs/web.md).
            logger.warning("\(name) service failed", metadata: ["error": "\(error)", "path": "\(request.uri.path)"])
            if HTTPForwarder.isBusy(error) {
                throw EdgeError(.serviceUnavailable, "the \(name) service is busy; try again shortly")
            }
            throw EdgeError(.badGateway, "the \(name) service could not be reached; try again")
        }
        do {
            return try await response.response { _ in }
        } catch {
            logger.warning("\(name) service broke off", metadata: ["error": "\(error)", "path": "\(request.uri.path)"])
            throw EdgeError(.badGateway, "the \(name) service could not be reached; try again")
        }
    }
}

/// API-Gateway-shaped errors: `{"message": "..."}`.
public struct EdgeError: Error, HTTPResponseError, CustomStringConvertible, Sendable {
    public let status: HTTPResponse.Status
    public let message: String

    public init(_ status: HTTPResponse.Status, _ message: String) {
        self.status = status
        self.message = message
    }

    public var description: String { "\(status.code) \(message)" }

    public func response(from request: Request, context: some RequestContext) throws -> Response {
        var headers = HTTPFields()
        headers[.contentType] = "application/json"
        if status == .tooManyRequests || status == .serviceUnavailable { headers[.retryAfter] = "1" }
        let body = try JSONEncoder().encode(["message": message])
        return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: body)))
    }
}

/// CORS for the configured origins only: answers preflights (no authorizer, as API Gateway's
/// OPTIONS mock integration) and adds the allow headers to every response for an allowed origin.
struct CORSOriginMiddleware<Context: RequestContext>: RouterMiddleware {
    let allowedOrigins: [String]

    func handle(
        _ request: Request, context: Context, next: (Request, Context) async throws -> Response
    ) async throws -> Response {
        let origin = request.headers[.origin]
        let allowed = origin.map { allowedOrigins.contains("*") || allowedOrigins.contains($0) } ?? false
        if request.method == .options {
            var headers = HTTPFields()
            if allowed, let origin {
                headers[.accessControlAllowOrigin] = origin
                headers[.accessControlAllowMethods] = "GET, POST, PUT, DELETE, OPTIONS"
                headers[.accessControlAllowHeaders] = "Authorization, Content-Type"
                headers[.accessControlMaxAge] = "600"
                headers[.vary] = "Origin"
            }
            return Response(status: allowed ? .noContent : .forbidden, headers: headers)
        }
        var response: Response
        do {
            response = try await next(request, context)
        } catch let error as any HTTPResponseError {
            response = try error.response(from: request, context: context)
        }
        if allowed, let origin {
            response.headers[.accessControlAllowOrigin] = origin
            response.headers[.accessControlExposeHeaders] = Edge.regionHeader
            response.headers[.vary] = "Origin"
        }
        return response
    }
}
