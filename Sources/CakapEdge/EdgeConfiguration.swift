import Foundation

/// Every setting of the edge (`cakap edge`), the local stand-in for API Gateway (R-API-1..3).
public struct EdgeConfiguration: Sendable {
    /// Where a region's traffic goes.
    public struct RegionUpstream: Sendable {
        public var name: String
        /// The region's balancer, e.g. `http://127.0.0.1:11600`.
        public var balancerURL: String
        /// The balancer's admin port (`/targets`), for the check page's per-pool detail; nil
        /// where there is none (AWS: an ALB's target health is not reachable from the client side).
        public var adminURL: String?

        public init(name: String, balancerURL: String, adminURL: String? = nil) {
            self.name = name
            self.balancerURL = balancerURL
            self.adminURL = adminURL
        }
    }

    /// How tokens are checked.
    public enum IdentitySource: Sendable {
        /// The embedded development identity provider, mounted at `/idp`.
        case development(dataDirectory: String, poolId: String, clientId: String)
        /// An external Cognito-compatible pool (real Cognito, moto): its JWKS, issuer and client id.
        case external(jwksURL: String, issuer: String, clientId: String)
    }

    public var host = "127.0.0.1"
    /// Listener port. Default 8080.
    public var port = 8080
    /// The URL clients use to reach the edge (the development issuer is built from it).
    public var publicURL: String
    /// Regions in the order the client may pick; the first other healthy one takes over on failure.
    public var regions: [RegionUpstream]
    public var identity: IdentitySource
    /// The conversations service (R-API-1); nil answers 503 until it exists.
    public var conversationsURL: String?
    /// The tutor service (`/tutor/feedback`); nil answers 503.
    public var tutorURL: String?
    /// The static web app, served at `/`.
    public var webDirectory: String?
    /// Origins allowed by CORS (exact match; `*` allows any).
    public var corsOrigins: [String] = Self.defaultCORSOrigins
    /// The web app's own origins on the default port.
    public static let defaultCORSOrigins = ["http://127.0.0.1:8080", "http://localhost:8080"]
    /// Development identity provider only, never the default: sign-ups are confirmed at once
    /// (`IdentityPoolSettings.autoConfirmSignUp`). Default `false`.
    public var autoConfirmSignUp = false
    /// Sustained requests per second per user (API Gateway's default stage throttling is per account;
    /// per user is what a shared deployment needs). Default 20.
    public var throttleRate: Double = 20
    /// Burst per user. Default 40.
    public var throttleBurst: Double = 40
    /// Model requests (`/{region}/…`) one user may have running at once, streams included; more
    /// is a 429 (issue 19: per-user fairness). Default 8.
    public var maxModelRequestsPerUser = 8
    /// How often the edge probes each region's balancer (`GET /`). Default 1 s.
    public var regionCheckInterval: Duration = .seconds(1)
    /// How long a probe may take before it counts as failed. Default 1.5 s.
    public var regionCheckTimeout: Duration = .milliseconds(1500)
    /// Seconds a connection may stay without a complete request head (idle between requests, or
    /// trickling its headers, slowloris-style) before the edge closes it. Default 15.
    public var idleTimeoutSeconds = 15
    /// Seconds a request's body may take to arrive after its head before the edge closes the
    /// connection (a body trickled one byte every few seconds holds nothing). Default 20: 10 MiB
    /// at 4 Mbit/s; the API's bodies are a few kilobytes.
    public var bodyTimeoutSeconds = 20
    /// How long a token whose signature verified is remembered (API Gateway's authorizer result
    /// caching, whose default for a Cognito authorizer is 300 s); `exp` is still checked on every
    /// request. 0 turns it off. Default 300.
    public var authorizerCacheSeconds: Double = 300
    /// Largest request body (API Gateway's payload limit is 10 MB). Default 10 MiB.
    public var maxBodyBytes = 10 << 20

    public init(port: Int, regions: [RegionUpstream], identity: IdentitySource, publicURL: String? = nil) {
        self.port = port
        self.regions = regions
        self.identity = identity
        self.publicURL = publicURL ?? "http://127.0.0.1:\(port)"
    }
}
