import AsyncHTTPClient
import ChildProcess
import Foundation
import Logging
import NIOCore

/// Starts `llama-server` children on free loopback ports and waits until they are ready.
public struct LlamaServerLauncher: EngineLauncher {
    let enginePath: String
    let logDirectory: String
    let loadTimeout: Duration
    let httpClient: HTTPClient
    let logger: Logger

    /// The client for loopback engines. It does not retry a refused connection: an engine listens
    /// or is dead. AsyncHTTPClient's default retries with backoff until the request's deadline
    /// (10 minutes, 24 hours here), so a chat handed a just-crashed engine hung instead of failing.
    public static let engineClient: HTTPClient = {
        var configuration = HTTPClient.Configuration(timeout: .init(connect: .seconds(5)))
        configuration.connectionPool.retryConnectionEstablishment = false
        return HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
    }()

    public init(
        enginePath: String, logDirectory: String, loadTimeout: Duration, httpClient: HTTPClient = engineClient,
        logger: Logger
    ) {
        self.enginePath = enginePath
        self.logDirectory = logDirectory
        self.loadTimeout = loadTimeout
        self.httpClient = httpClient
        self.logger = logger
    }

    public func launch(_ specification: EngineSpecification) async throws -> any RunningEngine {
        guard FileManager.default.isExecutableFile(atPath: enginePath) else {
            throw EngineError.notInstalled(path: enginePath)
        }
        try FileManager.default.createDirectory(
            atPath: logDirectory, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        // The worker bounds num_ctx (`engineContextLength`); this check keeps a trap out of the launcher
        // even if a caller does not, since a trap kills every request of the worker.
        let (totalContext, overflow) = specification.contextLength.multipliedReportingOverflow(
            by: specification.parallel)
        guard !overflow, totalContext <= Int(Int32.max) else {
            throw EngineError.failedToStart(
                "context \(specification.contextLength) × \(specification.parallel) is too large")
        }
        let port = try FreePort.find()
        var arguments = [
            "--model", specification.modelPath, "--host", "127.0.0.1", "--port", String(port),
            "--parallel", String(specification.parallel),
            "--ctx-size", String(totalContext),
            "--threads", String(specification.threads), "--no-webui", "--jinja",
        ]
        if specification.embedding {
            // BERT-style encoders need the whole input in one batch.
            let batch = String(specification.contextLength)
            arguments += ["--embeddings", "--batch-size", batch, "--ubatch-size", batch]
        }
        let safeName = specification.displayName.map { $0.isLetter || $0.isNumber ? $0 : "-" }
        let logPath = "\(logDirectory)/llama-server-\(String(safeName))-\(port).log"
        // Owner only: an engine's log may hold learners' prompts (issue 19).
        _ = FileManager.default.createFile(atPath: logPath, contents: nil, attributes: [.posixPermissions: 0o600])
        let process: ChildProcess
        do {
            process = try ChildProcess(
                executable: enginePath, arguments: arguments, outputPath: logPath, diesWithParent: true)
        } catch {
            throw EngineError.failedToStart("\(error)")
        }
        let engine = LlamaServerEngine(
            process: process, baseURL: "http://127.0.0.1:\(port)", logPath: logPath, httpClient: httpClient)
        logger.info(
            "starting llama-server",
            metadata: ["model": "\(specification.displayName)", "pid": "\(process.pid)", "port": "\(port)"])
        do {
            try await engine.waitUntilReady(timeout: loadTimeout)
        } catch {
            await engine.stop(gracePeriod: .seconds(2))
            throw error
        }
        return engine
    }
}

/// Picks a free loopback port by binding port 0 and reading what the kernel chose.
enum FreePort {
    static func find() throws -> Int {
        let descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard descriptor >= 0 else { throw EngineError.failedToStart("no socket for a port") }
        defer { close(descriptor) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(descriptor, $0, length) == 0 && getsockname(descriptor, $0, &length) == 0
            }
        }
        guard bound else { throw EngineError.failedToStart("cannot find a free port") }
        return Int(UInt16(bigEndian: address.sin_port))
    }
}
