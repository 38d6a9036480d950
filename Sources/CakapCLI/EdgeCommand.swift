import ArgumentParser
import AsyncHTTPClient
import CakapEdge
import Foundation
import HTTPProxy
import Identity
import Logging
import ServiceLifecycle

/// `cakap edge`: the local API Gateway with the development identity provider.
struct EdgeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "edge", abstract: "Run the edge: /{region}/… to balancers, authorizer, identity provider, web app."
    )

    @Option(help: "Listener port.") var port: Int = 8080
    @Option(help: "Address to listen on.") var host: String = "127.0.0.1"
    @Option(help: "A region: name=balancerURL. Repeat; the first is the default.") var region: [String] = []
    @Option(help: "A region's balancer admin URL for the check page: name=adminURL. Repeat.") var regionAdmin:
        [String] = []
    @Option(help: "Identity data folder (users, signing key).") var data: String
    @Option(help: "Development user pool id.") var poolId: String = IdentityPoolSettings.development.poolId
    @Option(help: "App client id (the token audience).") var clientId: String = IdentityPoolSettings.development
        .clientId
    @Option(help: "Verify tokens of an external pool instead: its JWKS URL (needs --issuer).") var jwks: String?
    @Option(help: "The external pool's issuer.") var issuer: String?
    @Option(help: "Conversations service URL.") var conversations: String?
    @Option(help: "Tutor service URL.") var tutor: String?
    @Option(help: "Static web app folder.") var web: String?
    @Option(help: "Allowed CORS origin. Repeat (replaces the default http://127.0.0.1:8080, http://localhost:8080).")
    var corsOrigin: [String] = []
    @Flag(help: "Development only: confirm sign-ups at once, without a code (never on a shared or public edge).")
    var autoConfirm = false
    @Option(help: "Topology file (unused by the edge itself; accepted for symmetry).") var topology: String?
    @Option(help: "Requests per second each user may make, sustained (API Gateway's stage throttle).")
    var throttleRate: Double = 20
    @Option(help: "Requests each user may make at once before the sustained rate applies.")
    var throttleBurst: Double = 40
    @Option(help: "Seconds a verified token is remembered (API Gateway's authorizer caching); 0 turns it off.")
    var authorizerCacheSeconds: Double = 300
    @Option(help: "Connections kept to one balancer at once (AsyncHTTPClient's own default is 8).")
    var upstreamConnections: Int = HTTPForwarder.defaultConnectionsPerUpstream

    static func nameAndURL(_ text: String, option: String) throws -> (String, String) {
        let parts = text.split(separator: "=", maxSplits: 1).map(String.init)
        guard parts.count == 2 else { throw ValidationError("\(option) expects name=url, got '\(text)'") }
        return (parts[0], parts[1])
    }

    func run() async throws {
        bootstrapLogging()
        let logger = Logger(label: "cakap.edge")
        let admins = try Dictionary(
            regionAdmin.map { try Self.nameAndURL($0, option: "--region-admin") }, uniquingKeysWith: { $1 })
        let regions = try region.map { text -> EdgeConfiguration.RegionUpstream in
            let (name, url) = try Self.nameAndURL(text, option: "--region")
            return .init(name: name, balancerURL: url, adminURL: admins[name])
        }
        let identity: EdgeConfiguration.IdentitySource
        if let jwks {
            guard let issuer else { throw ValidationError("--jwks needs --issuer") }
            identity = .external(jwksURL: jwks, issuer: issuer, clientId: clientId)
        } else {
            identity = .development(dataDirectory: data, poolId: poolId, clientId: clientId)
        }
        var configuration = EdgeConfiguration(port: port, regions: regions, identity: identity)
        configuration.host = host
        configuration.conversationsURL = conversations
        configuration.tutorURL = tutor
        configuration.webDirectory = web
        configuration.throttleRate = throttleRate
        configuration.throttleBurst = throttleBurst
        configuration.authorizerCacheSeconds = authorizerCacheSeconds
        if !corsOrigin.isEmpty { configuration.corsOrigins = corsOrigin }
        if autoConfirm {
            guard case .development = identity else {
                throw ValidationError("--auto-confirm needs the development identity provider")
            }
            configuration.autoConfirmSignUp = true
        }
        let client = HTTPForwarder.clientConfiguration(connectionsPerUpstream: upstreamConnections)
        try await withHTTPClient(configuration: client) { httpClient in
            let edge = try Edge(configuration: configuration, httpClient: httpClient, logger: logger)
            let group = ServiceGroup(
                configuration: .init(
                    services: edge.services(), gracefulShutdownSignals: [.sigterm, .sigint], logger: logger))
            try await group.run()
        }
    }
}
