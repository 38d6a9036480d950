import ArgumentParser
import ChildProcess
import Foundation
import Provisioning

/// `cakap postgres`: a local PostgreSQL 16 with pgvector (R-DB-1, R-DB-2), the stand-in for RDS.
///
/// PostgreSQL refuses to run as root, so under root it runs as the system user `cakap-postgres`,
/// which cannot enter root's home: the install tree is then mirrored once to
/// `/var/lib/cakap/pgserver-<version>` and the data folder defaults to `/var/lib/cakap/postgres`.
/// Password authentication (SCRAM) even on loopback; the password is kept in `<data>.password`
/// (mode 0600) and never printed.
struct PostgresCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "postgres", abstract: "Run a local PostgreSQL 16 with pgvector (the local stand-in for RDS).")

    @Option(help: "Data folder (default $CAKAP_HOME/local/postgres; /var/lib/cakap/postgres as root).")
    var data: String?
    @Option(help: "Port on 127.0.0.1.") var port: Int = 15432
    @Option(help: "Database user (the DB_USER of the conversations service).") var user: String = "cakap"

    static let systemUser = "cakap-postgres"

    func run() async throws {
        let paths = CakapPaths.fromEnvironment()
        guard FileManager.default.isExecutableFile(atPath: paths.postgresBin + "/postgres") else {
            throw ValidationError("PostgreSQL is not installed at \(paths.postgresBin); run `cakap setup`")
        }
        let asRoot = geteuid() == 0
        let bin = asRoot ? try Self.mirroredInstall(paths) + "/bin" : paths.postgresBin
        let dataDirectory = data ?? (asRoot ? "/var/lib/cakap/postgres" : paths.home + "/local/postgres")
        let passwordFile = dataDirectory + ".password"
        let runAs: [String] = asRoot ? try Self.unprivilegedPrefix() : []
        if !FileManager.default.fileExists(atPath: dataDirectory + "/PG_VERSION") {
            try initialize(dataDirectory, passwordFile: passwordFile, bin: bin, runAs: runAs)
        }
        let server = try ChildProcess(
            executable: runAs.first ?? bin + "/postgres",
            arguments: Array(runAs.dropFirst())
                + (runAs.isEmpty ? [] : [bin + "/postgres"])
                + [
                    "-D", dataDirectory, "-p", String(port), "-c", "listen_addresses=127.0.0.1", "-c",
                    "unix_socket_directories=\(dataDirectory)",
                ],
            outputPath: dataDirectory + ".log")
        let signals = LocalFleet.terminationSignals()
        let deadline = ContinuousClock.now + .seconds(30)
        while CommandRunner().output(of: [bin + "/pg_isready", "-h", "127.0.0.1", "-p", String(port)]) == nil {
            if let status = server.exitStatus {
                throw ValidationError("postgres exited with status \(status); see \(dataDirectory).log")
            }
            guard ContinuousClock.now < deadline else { throw ValidationError("postgres not ready after 30 s") }
            try await Task.sleep(for: .milliseconds(200))
        }
        say(
            "postgres ready: DB_HOST=127.0.0.1 DB_PORT=\(port) DB_USER=\(user) DB_NAME=postgres, DB_PASSWORD in \(passwordFile)"
        )
        say("log: \(dataDirectory).log; Ctrl-C stops it")
        let exited = Task { await server.wait() }
        for await _ in signals { break }
        server.signal(SIGINT)  // PostgreSQL's "fast" shutdown: roll back sessions, checkpoint, exit
        let status = await exited.value
        say("postgres stopped (status \(status))")
    }

    /// initdb with SCRAM authentication and a generated password for `user`.
    private func initialize(_ dataDirectory: String, passwordFile: String, bin: String, runAs: [String]) throws {
        let manager = FileManager.default
        try manager.createDirectory(atPath: dataDirectory, withIntermediateDirectories: true)
        let alphabet = Array("abcdefghijkmnopqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789")
        let password = String((0..<32).map { _ in alphabet.randomElement()! })
        _ = manager.createFile(
            atPath: passwordFile, contents: Data(password.utf8), attributes: [.posixPermissions: 0o600])
        // initdb reads the password from a file its user can read, outside the (empty) data folder.
        let staged = dataDirectory + ".initdb-password"
        _ = manager.createFile(atPath: staged, contents: Data(password.utf8), attributes: [.posixPermissions: 0o600])
        defer { try? manager.removeItem(atPath: staged) }
        let log = dataDirectory + ".log"
        if !runAs.isEmpty {
            try CommandRunner().run(["chown", "-R", Self.systemUser, dataDirectory, staged], logTo: log)
            try CommandRunner().run(["chmod", "700", dataDirectory], logTo: log)
        }
        try CommandRunner().run(
            runAs + [
                bin + "/initdb", "-D", dataDirectory, "-U", user, "--pwfile", staged, "--auth=scram-sha-256", "-E",
                "UTF8",
            ], logTo: log)
    }

    /// The install tree copied where the unprivileged user can reach it (once per version).
    static func mirroredInstall(_ paths: CakapPaths) throws -> String {
        let target = "/var/lib/cakap/pgserver-\(CakapPaths.pgserverVersion)"
        if !FileManager.default.fileExists(atPath: target + "/.complete") {
            let log = NSTemporaryDirectory() + "cakap-postgres-mirror.log"
            try? FileManager.default.removeItem(atPath: target)
            try FileManager.default.createDirectory(atPath: "/var/lib/cakap", withIntermediateDirectories: true)
            // The whole unpacked wheel: the programs find their libraries in `pgserver.libs/` by a relative rpath.
            try CommandRunner().run(["cp", "-a", paths.postgresEngine, target], logTo: log)
            try CommandRunner().run(["chmod", "a+rx", "/var/lib/cakap"], logTo: log)
            try CommandRunner().run(["chmod", "-R", "a+rX", target], logTo: log)
            _ = FileManager.default.createFile(atPath: target + "/.complete", contents: Data())
        }
        return target + "/pgserver/pginstall"
    }

    /// `setpriv` to the system user (created if missing), which execs postgres directly.
    static func unprivilegedPrefix() throws -> [String] {
        if CommandRunner().output(of: ["id", "-u", systemUser]) == nil {
            try CommandRunner().run(
                ["useradd", "--system", "--no-create-home", "--shell", "/usr/sbin/nologin", systemUser],
                logTo: NSTemporaryDirectory() + "cakap-useradd.log")
        }
        return ["/usr/bin/setpriv", "--reuid", systemUser, "--regid", systemUser, "--init-groups", "--"]
    }
}
