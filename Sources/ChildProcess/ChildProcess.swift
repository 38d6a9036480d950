import CakapSettings
import Deadline
import Foundation

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// A child process started with `posix_spawn`, with every signal unblocked and at its default
/// disposition.
///
/// Why not Foundation's `Process`: on Linux it spawns from whichever thread calls it, and the
/// child inherits that thread's signal mask — Dispatch threads block almost every signal. A
/// llama-server started that way ignores SIGTERM, and cmake (libuv) never sees SIGCHLD and hangs.
public final class ChildProcess: @unchecked Sendable {
    /// The child's process id.
    public let pid: pid_t
    private let exit = ExitState()

    /// Starts `executable` with `arguments`; standard output and error go to `outputPath`
    /// (appended; /dev/null when nil; a new file is readable by its owner only, since engine
    /// logs may hold learners' prompts), standard input is /dev/null.
    /// - Parameters:
    ///   - environment: the whole environment of the child; nil inherits ours.
    ///   - errorPath: standard error apart from standard output (appended); nil: both to `outputPath`.
    ///   - pipes: descriptors for the child's standard input and output instead of /dev/null and
    ///     `outputPath` (the ends of pipes a long-lived child is talked to over); nil: none.
    public init(
        executable: String, arguments: [String], outputPath: String?, errorPath: String? = nil,
        environment: [String: String]? = nil, newProcessGroup: Bool = false, diesWithParent: Bool = false,
        pipes: (input: Int32, output: Int32)? = nil
    ) throws {
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var noSignals = sigset_t()
        sigemptyset(&noSignals)
        posix_spawnattr_setsigmask(&attributes, &noSignals)
        var allSignals = sigset_t()
        sigfillset(&allSignals)
        posix_spawnattr_setsigdefault(&attributes, &allSignals)
        var flags = POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF
        if newProcessGroup {
            // The child leads a new group that its own children join, so the whole tree can be
            // signalled at once (`signalGroup`) and none is orphaned.
            flags |= POSIX_SPAWN_SETPGROUP
            posix_spawnattr_setpgroup(&attributes, 0)
        }
        posix_spawnattr_setflags(&attributes, Int16(flags))

        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        if let pipes {
            posix_spawn_file_actions_adddup2(&actions, pipes.input, 0)
            posix_spawn_file_actions_adddup2(&actions, pipes.output, 1)
        } else {
            posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
            posix_spawn_file_actions_addopen(
                &actions, 1, outputPath ?? "/dev/null", O_WRONLY | O_CREAT | O_APPEND, 0o600)
        }
        if let errorPath {
            posix_spawn_file_actions_addopen(&actions, 2, errorPath, O_WRONLY | O_CREAT | O_APPEND, 0o600)
        } else {
            posix_spawn_file_actions_adddup2(&actions, 1, 2)
        }

        let environment = environment ?? ProcessEnvironment.current
        var executable = Self.resolve(executable, path: environment[Settings.path] ?? "/usr/bin:/bin")
        var arguments = arguments
        if diesWithParent, FileManager.default.isExecutableFile(atPath: Self.setpriv) {
            // The kernel sends SIGKILL to the child when the thread that spawned it ends; that
            // thread (below) lives exactly as long as the child, or dies with this process.
            arguments = ["--pdeathsig", "KILL", "--", executable] + arguments
            executable = Self.setpriv
        }
        let argv = ([executable] + arguments).map { strdup($0) } + [nil]
        let envp = environment.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer {
            argv.forEach { free($0) }
            envp.forEach { free($0) }
        }
        // Spawn and wait on one dedicated thread: its lifetime is what `--pdeathsig` watches.
        let started = DispatchSemaphore(value: 0)
        nonisolated(unsafe) var spawned = pid_t()
        nonisolated(unsafe) var result: Int32 = 0
        let box = UnsafeSendable(attributes: attributes, actions: actions, argv: argv, envp: envp, path: executable)
        let exit = self.exit
        let thread = Thread { [box] in
            var attributes = box.attributes
            var actions = box.actions
            result = posix_spawn(&spawned, box.path, &actions, &attributes, box.argv, box.envp)
            // ETXTBSY: the program was just written and another thread's child, forked meanwhile,
            // still holds a copy of its write descriptor. That child soon execs or exits (as Go's
            // os/exec, retry for a while).
            var retries = 0
            while result == ETXTBSY && retries < 50 {
                retries += 1
                usleep(20_000)
                result = posix_spawn(&spawned, box.path, &actions, &attributes, box.argv, box.envp)
            }
            started.signal()
            guard result == 0 else { return }
            var status: Int32 = 0
            while waitpid(spawned, &status, 0) == -1 && errno == EINTR {}
            exit.exited(with: status)
        }
        thread.start()
        started.wait()
        guard result == 0 else {
            throw ChildProcessError(description: "cannot start \(executable): \(String(cString: strerror(result)))")
        }
        self.pid = spawned
    }

    /// util-linux's setpriv (Debian's essential set), which sets the parent-death signal and execs.
    static let setpriv = "/usr/bin/setpriv"

    /// A bare command name looked up in the child's PATH (posix_spawnp would use ours).
    static func resolve(_ executable: String, path: String) -> String {
        guard !executable.contains("/") else { return executable }
        for directory in path.split(separator: ":") {
            let candidate = "\(directory)/\(executable)"
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
        }
        return executable
    }

    /// The exit status once the child has exited (128 + n when signal n ended it), else nil.
    public var exitStatus: Int32? { exit.status }

    /// True once the child has ended, even before `exitStatus` is known: a process that has
    /// exited is a zombie (`Z` in `/proc/<pid>/stat`) until its waiting thread reaps it, and on a
    /// loaded machine that thread may run tens of milliseconds later (issue 21: a chat was handed
    /// an engine whose sockets were already closed).
    public var hasEnded: Bool {
        if exitStatus != nil { return true }
        #if os(Linux)
            guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8) else { return true }
            // "pid (comm) S …": the state follows the last ')', as comm may hold spaces and parentheses.
            guard let close = stat.lastIndex(of: ")") else { return false }
            let state = stat[stat.index(after: close)...].drop(while: { $0 == " " }).first
            return state == "Z" || state == "X"
        #else
            return false
        #endif
    }

    /// Waits for the child to exit and returns its status.
    @discardableResult
    public func wait() async -> Int32 {
        await exit.wait()
    }

    /// The exit status, or nil when `timeout` passes first (the child keeps running).
    public func wait(atMost timeout: Duration) async -> Int32? {
        let exit = self.exit
        return (try? await withDeadline(timeout) { await exit.waitUnlessCancelled() }) ?? nil
    }

    /// Blocks the calling thread until the child exits (for synchronous command-line steps).
    @discardableResult
    public func waitUntilExit() -> Int32 {
        while true {
            if let status = exitStatus { return status }
            usleep(20_000)
        }
    }

    /// As `waitUntilExit()`, but kills the child (SIGKILL) once `timeout` has passed, so a hung
    /// tool cannot hold its caller forever (issue 19: `harper-cli` had no timeout).
    @discardableResult
    public func waitUntilExit(killingAfter timeout: Duration) -> Int32 {
        let deadline = ContinuousClock.now + timeout
        while true {
            if let status = exitStatus { return status }
            if ContinuousClock.now >= deadline { signal(SIGKILL) }
            usleep(20_000)
        }
    }

    /// Sends a signal (SIGTERM by default) if the child is still running.
    public func signal(_ signal: Int32 = SIGTERM) {
        if exitStatus == nil { kill(pid, signal) }
    }

    /// Sends a signal to the child's whole process group (only for `newProcessGroup` children).
    public func signalGroup(_ signal: Int32) {
        kill(-pid, signal)
    }

    /// SIGTERM, then SIGKILL if it has not exited after `gracePeriod`.
    public func stop(gracePeriod: Duration) async {
        guard exitStatus == nil else { return }
        signal(SIGTERM)
        if await wait(atMost: gracePeriod) == nil {
            signal(SIGKILL)
            await wait()
        }
    }
}

/// A child process that could not be started.
public struct ChildProcessError: Error, CustomStringConvertible, Sendable {
    public var description: String
}

/// The spawn arguments handed to the spawning thread (used only while `init` waits for it).
private struct UnsafeSendable: @unchecked Sendable {
    var attributes: posix_spawnattr_t
    var actions: posix_spawn_file_actions_t
    var argv: [UnsafeMutablePointer<CChar>?]
    var envp: [UnsafeMutablePointer<CChar>?]
    var path: String
}

/// Remembers a child's exit and wakes whoever waits for it.
private final class ExitState: @unchecked Sendable {
    private let lock = NSLock()
    private var _status: Int32?
    private var waiters: [CheckedContinuation<Int32, Never>] = []
    /// Waiters that give up when their task is cancelled (`ChildProcess.wait(atMost:)`).
    private var cancellable: [UInt64: CheckedContinuation<Int32?, Never>] = [:]
    private var nextID: UInt64 = 0

    var status: Int32? { lock.withLock { _status } }

    func exited(with rawStatus: Int32) {
        // Exit code when it exited, 128 + signal when a signal ended it (as shells report).
        let code = (rawStatus & 0x7f) == 0 ? (rawStatus >> 8) & 0xff : 128 + (rawStatus & 0x7f)
        let (toResume, toResumeCancellable) = lock.withLock {
            _status = code
            defer {
                waiters = []
                cancellable = [:]
            }
            return (waiters, Array(cancellable.values))
        }
        toResume.forEach { $0.resume(returning: code) }
        toResumeCancellable.forEach { $0.resume(returning: code) }
    }

    func wait() async -> Int32 {
        await withCheckedContinuation { continuation in
            let done: Int32? = lock.withLock {
                if let _status { return _status }
                waiters.append(continuation)
                return nil
            }
            if let done { continuation.resume(returning: done) }
        }
    }

    /// The exit status, or nil as soon as the waiting task is cancelled.
    func waitUnlessCancelled() async -> Int32? {
        let id = lock.withLock {
            nextID += 1
            return nextID
        }
        return await withTaskCancellationHandler {
            await withCheckedContinuation { continuation in
                let done: Int32?? = lock.withLock {
                    if let _status { return .some(_status) }
                    if Task.isCancelled { return .some(nil) }
                    cancellable[id] = continuation
                    return .none
                }
                if let done { continuation.resume(returning: done) }
            }
        } onCancel: {
            lock.withLock { cancellable.removeValue(forKey: id) }?.resume(returning: nil)
        }
    }
}
