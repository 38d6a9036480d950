import ArgumentParser
import CakapSettings
import ChildProcess
import Foundation
import Provisioning
import Topology

/// `cakap up`: the whole local system — per region a balancer and three pools of workers sharing
/// one model store (the local EFS), PostgreSQL with pgvector (the local RDS; an external one when
/// `DB_HOST` is set), the conversations service, then the edge with the development identity provider.
struct Up: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run the local two-region fleet: workers, balancers, edge (Ctrl-C stops everything).")

    @Option(
        help: "JSON file with any of: small, edgePort, basePort, balancerPort, adminPort, restartDelay (flags win).")
    var config: String?
    @Flag(help: "One worker per pool instead of two (zone a only).") var small = false
    @Option(help: "Write the fleet's URLs and process ids here as JSON once ready.") var state: String?
    @Option(help: "Edge port (default 8080).") var edgePort: Int?
    @Option(help: "First worker port (default 11500).") var basePort: Int?
    @Option(help: "First balancer port, one per region (default 11600).") var balancerPort: Int?
    @Option(help: "First balancer admin port (default 11700).") var adminPort: Int?
    @Option(help: "Embedded PostgreSQL port (default 11800; unused when DB_HOST is set).") var postgresPort: Int?
    @Option(help: "Conversations service port (default 11801).") var conversationsPort: Int?
    @Option(help: "Data folder (identity users, database, logs); default $CAKAP_HOME/local.") var data: String?
    @Option(help: "Seconds before a worker that exited is started again (default 5).") var restartDelay: Double?
    @Option(help: "Topology file (default: config/topology.json of the checkout).") var topology: String?
    @Option(help: "Static web app folder served by the edge (default: web/ of the checkout).") var web: String?
    @Option(
        help: ArgumentHelp(
            "Another origin the edge allows by CORS, e.g. http://localhost:3000 for the brief's reference client. Repeat.",
            discussion: "Added to CAKAP_CORS_ORIGINS (comma-separated) and to the web app's own origins."))
    var corsOrigin: [String] = []
    @Flag(
        help: "Development only, never on a shared machine: sign-ups are confirmed at once, without a code.")
    var autoConfirm = false
    @OptionGroup var pathOptions: PathOptions

    func run() async throws {
        let paths = pathOptions.paths
        // Checked before provisioning: a mistyped origin must not wait for a build.
        let origins = try Self.corsOrigins(flags: corsOrigin, environment: ProcessEnvironment.current)
        let repository = try Repository.root()
        let topology = self.topology ?? repository + "/config/topology.json"
        let web = self.web ?? repository + "/web"
        try Provisioner(paths: paths, toolsDirectory: repository + "/tools").setUpEverything()
        let file = try config.map(UpConfigurationFile.load) ?? UpConfigurationFile()
        var plan = FleetPlan(
            topology: try Topology.load(fromFile: topology), small: small || (file.small ?? false),
            basePort: basePort ?? file.basePort ?? 11500, balancerBasePort: balancerPort ?? file.balancerPort ?? 11600,
            adminBasePort: adminPort ?? file.adminPort ?? 11700, edgePort: edgePort ?? file.edgePort ?? 8080,
            postgresPort: postgresPort ?? file.postgresPort ?? 11800,
            conversationsPort: conversationsPort ?? file.conversationsPort ?? 11801)
        plan.corsOrigins = origins
        plan.autoConfirm = autoConfirm
        if autoConfirm { say("--auto-confirm: sign-ups are confirmed without a code (development only)") }
        let dataDirectory = data ?? paths.home + "/local"
        let fleet = LocalFleet(
            plan: plan, executable: CommandLine.executablePath, dataDirectory: dataDirectory, models: paths.models,
            restartDelay: .milliseconds(Int64((restartDelay ?? file.restartDelay ?? 5) * 1000)))
        try await fleet.run(
            topologyPath: topology, webDirectory: web, statePath: state)
    }
}

extension Up {
    /// The setting that adds CORS origins to the edge of `cakap up` (comma-separated).
    /// `CAKAP_CORS_ORIGINS` then the `--cors-origin` flags, without blanks or repeats; each must be
    /// an origin (`scheme://host[:port]`, no path), since the edge compares them exactly.
    static func corsOrigins(flags: [String], environment: [String: String]) throws -> [String] {
        let listed = (environment[Settings.corsOrigins] ?? "").split(separator: ",").map {
            $0.trimmingCharacters(in: .whitespaces)
        }
        var origins: [String] = []
        for origin in listed + flags where !origin.isEmpty && !origins.contains(origin) {
            guard let url = URL(string: origin), let scheme = url.scheme, ["http", "https"].contains(scheme),
                url.host != nil, url.path.isEmpty, url.query == nil
            else {
                throw ValidationError(
                    "\(origin) is not an origin such as http://localhost:3000 (scheme, host, port; no path)")
            }
            origins.append(origin)
        }
        return origins
    }
}

/// `cakap up --config FILE`: the same settings as the flags, for a fleet described in a file.
struct UpConfigurationFile: Decodable {
    var small: Bool?
    var edgePort: Int?
    var basePort: Int?
    var balancerPort: Int?
    var adminPort: Int?
    var postgresPort: Int?
    var conversationsPort: Int?
    var restartDelay: Double?

    static func load(_ path: String) throws -> Self {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw ValidationError("cannot read \(path)")
        }
        do {
            return try JSONDecoder().decode(Self.self, from: data)
        } catch {
            throw ValidationError("\(path) is not a valid cakap up configuration: \(error)")
        }
    }
}

extension CommandLine {
    /// This executable's absolute path, so children run the same build.
    static var executablePath: String {
        (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? arguments[0]
    }
}

/// Prints a line and flushes, so progress appears at once even when standard output is a pipe.
func say(_ line: String) {
    print(line)
    fflush(nil)
}
