import AsyncHTTPClient
import CakapSettings
import ChildProcess
import Foundation
import NIOCore
import OllamaClient

/// Starts, watches and stops the processes of `cakap up`. Workers that exit are started again after
/// `restartDelay` (as systemd would on a real worker); on SIGINT/SIGTERM everything is stopped,
/// workers first asked to drain, then every process group killed, so no `llama-server` is orphaned.
actor LocalFleet {
    struct Child {
        var name: String
        var arguments: [String]
        var environment: [String: String]
        var logPath: String
        var restartable: Bool
        var process: ChildProcess?
    }

    let plan: FleetPlan
    let executable: String
    let dataDirectory: String
    let models: String
    let restartDelay: Duration
    private var children: [String: Child] = [:]
    private var stopping = false
    private let httpClient = HTTPClient(
        eventLoopGroupProvider: .singleton,
        configuration: .init(timeout: .init(connect: .seconds(1), read: .seconds(120))))

    init(plan: FleetPlan, executable: String, dataDirectory: String, models: String, restartDelay: Duration) {
        self.plan = plan
        self.executable = executable
        self.dataDirectory = dataDirectory
        self.models = models
        self.restartDelay = restartDelay
    }

    func run(topologyPath: String, webDirectory: String, statePath: String?) async throws {
        let signals = Self.terminationSignals()
        try FileManager.default.createDirectory(atPath: dataDirectory + "/logs", withIntermediateDirectories: true)
        let started = ContinuousClock.now
        do {
            // Every engine of the fleet shares this machine's cores. llama.cpp's threads wait for
            // each other at every token, so engines with more threads than their share of the
            // cores stall each other: three engines of 2 threads on 2 cores made 40 tokens/s in
            // all, of 1 thread 217 (docs/resilience.md, "Load"). CAKAP_NUM_THREADS overrides.
            let threads =
                ProcessEnvironment.current[Settings.numThreads].flatMap { Int($0) }
                ?? plan.engineThreads(cores: ProcessInfo.processInfo.activeProcessorCount)
            say(
                "each engine uses \(threads) CPU thread\(threads == 1 ? "" : "s") (cores ÷ workers; CAKAP_NUM_THREADS overrides)"
            )
            for region in plan.regions {
                for worker in region.workers {
                    let name = Self.name(of: worker)
                    try start(
                        name: name,
                        arguments: [
                            "worker", "--host", "127.0.0.1", "--port", String(worker.port), "--models", models,
                        ],
                        environment: [
                            Settings.keepAlive.name: "-1", Settings.logDirectory.name: "\(dataDirectory)/logs/\(name)",
                            Settings.numThreads.name: String(threads),
                            // Issue 19: an operator's pull fetches only the brief's and setup's models.
                            Settings.pullModels.name: FleetPlan.pullableModels.joined(separator: ","),
                        ],
                        restartable: true)
                }
            }
            let database = try startDatabase()
            say("started \(plan.regions.flatMap(\.workers).count) workers; loading models …")
            for worker in plan.regions.flatMap(\.workers) {
                try await waitUntilAnswering(
                    worker.url + "/", name: "worker \(worker.port)", process: Self.name(of: worker))
            }
            try await warmModels()
            for region in plan.regions {
                try start(
                    name: "lb-\(region.name)", arguments: plan.balancerArguments(region, topologyPath: topologyPath),
                    environment: [:], restartable: true)
                try await waitUntilAnswering(
                    "http://127.0.0.1:\(region.adminPort)/health", name: "balancer \(region.name)",
                    process: "lb-\(region.name)")
            }
            try await startConversations(database)
            try start(name: "tutor", arguments: plan.tutorArguments(), environment: [:], restartable: true)
            try await waitUntilAnswering(plan.tutorURL + "/healthz", name: "tutor", process: "tutor")
            try start(
                name: "edge",
                arguments: plan.edgeArguments(
                    dataDirectory: dataDirectory + "/identity", webDirectory: webDirectory, topologyPath: topologyPath)
                    + plan.regions.flatMap {
                        ["--region-admin", "\($0.name)=http://127.0.0.1:\($0.adminPort)"]
                    },
                environment: [:], restartable: true)
            try await waitUntilAnswering("http://127.0.0.1:\(plan.edgePort)/healthz", name: "edge", process: "edge")
        } catch {
            say("cakap up: \(error); stopping")
            await stopAll()
            try? await httpClient.shutdown()
            throw error
        }
        try writeState(to: statePath)
        printURLs(elapsed: ContinuousClock.now - started)
        await supervise(until: signals)
        say("stopping …")
        await stopAll()
        try? await httpClient.shutdown()
        say("stopped")
    }

    // MARK: - Database and conversations

    /// Where the conversations service finds its database.
    enum Database {
        /// `DB_HOST` is set: that database, as configured by the `DB_*` variables.
        case external
        /// The embedded PostgreSQL: its data folder (the password is beside it), and how long its
        /// log was before this start (the log is appended to across runs).
        case embedded(dataFolder: String, logOffset: Int)
    }

    /// The embedded PostgreSQL unless `DB_HOST` names a database. As root, PostgreSQL runs as an
    /// unprivileged user that cannot enter root's home, so its data lives under /var/lib/cakap.
    private func startDatabase() throws -> Database {
        if ProcessEnvironment.current[Settings.databaseHost] != nil { return .external }
        let folder =
            geteuid() == 0 ? "/var/lib/cakap/up-\(plan.postgresPort)/postgres" : dataDirectory + "/postgres"
        try FileManager.default.createDirectory(
            atPath: (folder as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        let log = "\(dataDirectory)/logs/postgres.log"
        let offset = (try? FileManager.default.attributesOfItem(atPath: log)[.size] as? Int) ?? 0
        try start(
            name: "postgres", arguments: ["postgres", "--data", folder, "--port", String(plan.postgresPort)],
            environment: [:], restartable: true)
        return .embedded(dataFolder: folder, logOffset: offset)
    }

    /// Waits for the database, then starts `cakap conversations` against it.
    private func startConversations(_ database: Database) async throws {
        var environment = [Settings.embedURLs.name: plan.embedURLs]
        if case .embedded(let folder, let logOffset) = database {
            let deadline = ContinuousClock.now + .seconds(60)
            // Only this run's lines: an earlier run's "postgres ready" must not count.
            func readyInThisRun() -> Bool {
                let data = FileManager.default.contents(atPath: "\(dataDirectory)/logs/postgres.log") ?? Data()
                return String(decoding: data.dropFirst(logOffset), as: UTF8.self).contains("postgres ready")
            }
            while !readyInThisRun() {
                if let status = children["postgres"]?.process?.exitStatus {
                    throw FleetError(description: "postgres exited with status \(status); see \(dataDirectory)/logs")
                }
                guard ContinuousClock.now < deadline else {
                    throw FleetError(description: "postgres not ready in 60 s")
                }
                try await Task.sleep(for: .milliseconds(200))
            }
            let password = try String(contentsOfFile: folder + ".password", encoding: .utf8)
                .trimmingCharacters(in: .whitespacesAndNewlines)
            environment.merge([
                Settings.databaseHost.name: "127.0.0.1", Settings.databasePort.name: String(plan.postgresPort),
                Settings.databaseUser.name: "cakap", Settings.databasePassword.name: password,
                Settings.databaseName.name: "postgres", Settings.databaseTLSMode.name: "disable",
            ]) { $1 }
        }
        try start(
            name: "conversations", arguments: plan.conversationsArguments(), environment: environment,
            restartable: true)
        try await waitUntilAnswering(
            plan.conversationsURL + "/healthz", name: "conversations", process: "conversations")
    }

    // MARK: - Processes

    static func name(of worker: FleetPlan.Worker) -> String {
        "worker-\(worker.region)-\(worker.pool)-\(worker.zone)-\(worker.port)"
    }

    private func start(name: String, arguments: [String], environment: [String: String], restartable: Bool) throws {
        let logPath = "\(dataDirectory)/logs/\(name).log"
        var child = Child(
            name: name, arguments: arguments, environment: environment, logPath: logPath, restartable: restartable)
        child.process = try launch(child)
        children[name] = child
    }

    private func launch(_ child: Child) throws -> ChildProcess {
        try ChildProcess(
            executable: executable, arguments: child.arguments, outputPath: child.logPath,
            environment: ProcessEnvironment.current.merging(child.environment) { $1 }, newProcessGroup: true,
            diesWithParent: true)
    }

    /// Restarts children that exited, until a termination signal arrives.
    private func supervise(until signals: AsyncStream<Int32>) async {
        let watcher = Task {
            while !Task.isCancelled {
                try? await Task.sleep(for: .seconds(1))
                await self.restartExited()
            }
        }
        for await signal in signals {
            say("received signal \(signal)")
            break
        }
        stopping = true
        watcher.cancel()
    }

    private func restartExited() async {
        for (name, child) in children where child.restartable && child.process?.exitStatus != nil && !stopping {
            say("\(name) exited (status \(child.process?.exitStatus ?? -1)); starting it again in \(restartDelay)")
            // A worker killed outright leaves its llama-server children in its process group.
            child.process?.signalGroup(SIGKILL)
            children[name]?.process = nil
            Task {
                try? await Task.sleep(for: restartDelay)
                self.relaunch(name)
            }
        }
    }

    private func relaunch(_ name: String) {
        guard !stopping, let child = children[name], child.process == nil else { return }
        children[name]?.process = try? launch(child)
        if let worker = plan.regions.flatMap(\.workers).first(where: { name.hasSuffix("-\($0.port)") }) {
            Task { try? await self.warm(worker) }
        }
    }

    /// SIGTERM to the edge, balancers and workers (workers drain and stop their engines), then
    /// SIGKILL to every process group still alive after the drain time.
    private func stopAll() async {
        stopping = true
        let order = children.values.sorted { rank($0.name) < rank($1.name) }
        for child in order { child.process?.signal(SIGTERM) }
        // Each has the same 40 s from now to drain; they are waited for together.
        await withTaskGroup(of: Void.self) { group in
            for process in order.compactMap(\.process) {
                group.addTask { _ = await process.wait(atMost: .seconds(40)) }
            }
        }
        for child in order {
            // The worker's group holds its llama-server children: none may outlive it.
            child.process?.signalGroup(SIGKILL)
        }
    }

    /// Stop order: the edge first, then the services behind it, the database last of all.
    private func rank(_ name: String) -> Int {
        switch name {
        case "edge": 0
        case "conversations", "tutor": 1
        case "postgres": 4
        default: name.hasPrefix("lb-") ? 2 : 3
        }
    }

    // MARK: - Readiness

    private func waitUntilAnswering(
        _ url: String, name: String, process: String? = nil, timeout: Duration = .seconds(120)
    ) async throws {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            if let process, let child = children[process], let status = child.process?.exitStatus {
                let log = (try? String(contentsOfFile: child.logPath, encoding: .utf8)) ?? ""
                throw FleetError(
                    description:
                        "\(name) exited with status \(status): \(log.split(separator: "\n").suffix(3).joined(separator: " | "))"
                )
            }
            if let response = try? await httpClient.execute(HTTPClientRequest(url: url), timeout: .seconds(2)) {
                _ = try? await response.body.collect(upTo: 1 << 20)
                if response.status == .ok { return }
            }
            try await Task.sleep(for: .milliseconds(200))
        }
        throw FleetError(description: "\(name) did not answer \(url) within \(timeout)")
    }

    /// Loads each pool's models so the first learner does not wait; two workers at a time.
    private func warmModels() async throws {
        let workers = plan.regions.flatMap(\.workers)
        for batch in stride(from: 0, to: workers.count, by: 2) {
            try await withThrowingTaskGroup(of: Void.self) { group in
                for worker in workers[batch..<min(batch + 2, workers.count)] {
                    group.addTask { try await self.warm(worker) }
                }
                try await group.waitForAll()
            }
        }
    }

    private func warm(_ worker: FleetPlan.Worker) async throws {
        try await waitUntilAnswering(worker.url + "/", name: "worker \(worker.port)")
        let required = FleetPlan.warmModels[worker.pool] ?? []
        let client = OllamaClient(baseURLs: [worker.url], httpClient: httpClient, timeout: .seconds(120))
        for model in required + (FleetPlan.optionalWarmModels[worker.pool] ?? []) {
            do {
                try await client.load(model, embedding: model.hasPrefix("all-minilm"))
            } catch let failure as OllamaClient.Failure where failure.statuses == [404] && !required.contains(model) {
                continue  // an optional model that is not in this store
            } catch {
                throw FleetError(description: "worker \(worker.port) could not load \(model): \(error)")
            }
        }
    }

    // MARK: - Output

    private func writeState(to path: String?) throws {
        guard let path else { return }
        var regions: [String: Any] = [:]
        for region in plan.regions {
            var pools: [String: [[String: Any]]] = [:]
            for worker in region.workers {
                let name = Self.name(of: worker)
                pools[worker.pool, default: []].append([
                    "url": worker.url, "zone": worker.zone, "pid": Int(children[name]?.process?.pid ?? 0),
                ])
            }
            regions[region.name] = [
                "balancer": "http://127.0.0.1:\(region.balancerPort)", "admin": "http://127.0.0.1:\(region.adminPort)",
                "pools": pools,
            ]
        }
        let edge = "http://127.0.0.1:\(plan.edgePort)"
        let document: [String: Any] = [
            "edge": edge, "regions": regions, "conversations": plan.conversationsURL, "tutor": plan.tutorURL,
            "identity": [
                "endpoint": edge + "/idp/", "poolId": plan.poolId, "clientId": plan.clientId, "region": "us-east-1",
                "jwks": edge + "/idp/\(plan.poolId)/.well-known/jwks.json",
                "dataDirectory": dataDirectory + "/identity",
            ],
            "logs": dataDirectory + "/logs",
        ]
        let data = try JSONSerialization.data(
            withJSONObject: document, options: [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes])
        try data.write(to: URL(fileURLWithPath: path + ".tmp"))
        _ = rename(path + ".tmp", path)
    }

    private func printURLs(elapsed: Duration) {
        say("cakap up: ready in \(elapsed)")
        say("  edge (API Gateway + identity)  http://127.0.0.1:\(plan.edgePort)   web app at /, identity at /idp/")
        for region in plan.regions {
            say(
                "  \(region.name) balancer           http://127.0.0.1:\(region.balancerPort)   admin :\(region.adminPort)"
            )
            for worker in region.workers {
                say(
                    "    \(worker.pool.padding(toLength: 8, withPad: " ", startingAt: 0)) zone \(worker.zone)        \(worker.url)"
                )
            }
        }
        say("  conversations API              \(plan.conversationsURL)   (through the edge at /conversations)")
        say("  tutor                          \(plan.tutorURL)   (through the edge at /tutor/feedback)")
        say("  logs                           \(dataDirectory)/logs")
        say("Ctrl-C stops everything.")
    }

    /// SIGINT and SIGTERM as a stream (default handlers off, so this process decides).
    static func terminationSignals() -> AsyncStream<Int32> {
        AsyncStream { continuation in
            for number in [SIGINT, SIGTERM] {
                signal(number, SIG_IGN)
                let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
                source.setEventHandler { continuation.yield(number) }
                source.resume()
                sources.append(source)
            }
        }
    }

    nonisolated(unsafe) private static var sources: [any DispatchSourceSignal] = []
}

/// The fleet could not start.
struct FleetError: Error, CustomStringConvertible {
    var description: String
}
