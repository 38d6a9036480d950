import ArgumentParser
import ChildProcess
import Foundation
import Provisioning
import Topology

/// `cakap up`: the whole local system — per region a balancer and three pools of workers sharing
/// one model store (the local EFS), then the edge with the development identity provider.
struct Up: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run the local two-region fleet: workers, balancers, edge (Ctrl-C stops everything).")

    @Flag(help: "One worker per pool instead of two (zone a only).") var small = false
    @Option(help: "Write the fleet's URLs and process ids here as JSON once ready.") var state: String?
    @Option(help: "Edge port.") var edgePort: Int = 8080
    @Option(help: "First worker port.") var basePort: Int = 11500
    @Option(help: "First balancer port (one per region).") var balancerPort: Int = 11600
    @Option(help: "First balancer admin port.") var adminPort: Int = 11700
    @Option(help: "Data folder (identity users, logs); default $CAKAP_HOME/local.") var data: String?
    @Option(help: "Seconds before a worker that exited is started again.") var restartDelay: Double = 5
    @Option(help: "Topology file.") var topology: String = Repository.root + "/config/topology.json"
    @Option(help: "Static web app folder served by the edge.") var web: String = Repository.root + "/web"
    @OptionGroup var pathOptions: PathOptions

    func run() async throws {
        let paths = pathOptions.paths
        try Provisioner(paths: paths, toolsDirectory: Repository.root + "/tools").setUpEverything()
        let plan = FleetPlan(
            topology: try Topology.load(fromFile: topology), small: small, basePort: basePort,
            balancerBasePort: balancerPort, adminBasePort: adminPort, edgePort: edgePort)
        let dataDirectory = data ?? paths.home + "/local"
        let fleet = LocalFleet(
            plan: plan, executable: CommandLine.executablePath, dataDirectory: dataDirectory, models: paths.models,
            restartDelay: .milliseconds(Int64(restartDelay * 1000)))
        try await fleet.run(
            topologyPath: topology, webDirectory: web, statePath: state)
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
