import ArgumentParser
import AsyncHTTPClient
import CakapBalancer
import CakapSettings
import Foundation
import HTTPProxy
import Logging
import ServiceLifecycle
import Topology

/// `cakap lb`: one region's balancer (the local stand-in for its private ALB, R-LLM-5).
struct Balance: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "lb", abstract: "Run a regional balancer: path rules, health checks, retries, streaming.")

    @Option(help: "Region name (for logs and metrics).") var region: String
    @Option(help: "Listener port.") var port: Int
    @Option(help: "Admin port (/metrics, /targets).") var adminPort: Int
    @Option(help: "Address to listen on.") var host: String = "127.0.0.1"
    @Option(help: "A pool: name=url[@zone],url[@zone]. Repeat per pool.") var pool: [String] = []
    @Option(help: "Topology file, path rules (default: config/topology.json of the checkout).") var topology: String?
    @Option(help: "Seconds between health checks.") var healthInterval: Double = 1
    @Option(help: "Connections kept to one worker at once (AsyncHTTPClient's own default is 8).")
    var upstreamConnections: Int = HTTPForwarder.defaultConnectionsPerUpstream

    func run() async throws {
        bootstrapLogging()
        let logger = Logger(label: "cakap.lb.\(region)")
        var configuration = BalancerConfiguration(
            region: region, port: port, adminPort: adminPort,
            topology: try Topology.load(fromFile: topology ?? Repository.path("config/topology.json")),
            pools: [:])
        configuration.host = host
        configuration.healthInterval = .milliseconds(Int64(healthInterval * 1000))
        for text in pool {
            let (name, targets) = try BalancerConfiguration.parsePool(text)
            configuration.pools[name] = targets
        }
        let client = HTTPForwarder.clientConfiguration(connectionsPerUpstream: upstreamConnections)
        try await withHTTPClient(configuration: client) { httpClient in
            let balancer = Balancer(configuration: configuration, httpClient: httpClient, logger: logger)
            let group = ServiceGroup(
                configuration: .init(
                    services: balancer.services(httpClient: httpClient), gracefulShutdownSignals: [.sigterm, .sigint],
                    logger: logger))
            try await group.run()
        }
    }
}

/// Runs `body` with an HTTP client that is shut down however `body` ends: AsyncHTTPClient stops
/// the process when a client is dropped without `shutdown()`, which turned a failed start
/// (a port in use, a database that never answered) into a crash.
func withHTTPClient<Result>(
    configuration: HTTPClient.Configuration = .init(timeout: .init(connect: .seconds(2))),
    _ body: (HTTPClient) async throws -> Result
) async throws -> Result {
    let client = HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
    do {
        let result = try await body(client)
        try await client.shutdown()
        return result
    } catch {
        try? await client.shutdown()
        throw error
    }
}

/// Logs to standard error at `CAKAP_LOG_LEVEL` (default info).
func bootstrapLogging() {
    let level = ProcessEnvironment.current[Settings.logLevel].flatMap(Logger.Level.init(rawValue:)) ?? .info
    LoggingSystem.bootstrap { label in
        var handler = StreamLogHandler.standardError(label: label)
        handler.logLevel = level
        return handler
    }
}
