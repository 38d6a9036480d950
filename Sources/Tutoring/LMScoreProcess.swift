import ChildProcess
import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// `cakap-lmscore` (built by `cakap setup` from `Sources/Provisioning/lmscore/cakap-lmscore.c`)
/// as a long-lived child: the model loads once, then each request is one line on its standard
/// input ("K<TAB>base<TAB>candidate…") and one answer line ("base_logprob<TAB>gain…").
///
/// Requests take turns (the model answers one at a time). A request that is cancelled (its
/// message's budget ran out) returns at once; its answer is still read, by its own thread, before
/// the next request is written, so answers never get out of step.
public final class LMScoreProcess: EditScorer, @unchecked Sendable {
    public let executable: String
    public let model: String
    public let threads: Int
    /// Longest wait for the scorer's turn, in seconds (default 1, the tutor's budget per message).
    public let turnWait: TimeInterval
    private let lock = NSLock()
    private var running: (process: ChildProcess, input: Int32, output: Int32)?
    private var pending = Data()

    /// The scorer could not start or answered something else than its protocol.
    public struct Failure: Error, CustomStringConvertible {
        public let description: String
    }

    /// - Parameters:
    ///   - executable: `cakap-lmscore`; model: the GGUF file (SmolLM2-135M's blob in the store).
    ///   - threads: threads of the model's work. Default 1: on 2 shared cores a second thread spins at every barrier while Harper or a worker holds the other core (measured: 2 threads were slower than 1).
    ///   - turnWait: longest wait for the scorer's turn, in seconds.
    public init(executable: String, model: String, threads: Int = 1, turnWait: TimeInterval = 1) {
        self.executable = executable
        self.model = model
        self.threads = threads
        self.turnWait = turnWait
    }

    deinit {
        if let running {
            close(running.input)
            close(running.output)
        }
    }

    public func gains(base: String, candidates: [String], window: Int) async throws -> [Double] {
        let line = ([String(window), base] + candidates).map(Self.oneLine).joined(separator: "\t") + "\n"
        let answer = OneAnswer()
        return try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { continuation in
                answer.set(continuation)
                // Waiting for the model blocks: a thread of its own, never one of Swift's pool.
                Thread.detachNewThread { [self] in
                    answer.resume(with: Result { try self.request(line) })
                }
            }
        } onCancel: {
            answer.resume(with: .failure(CancellationError()))
        }
    }

    /// Starts the scorer and has it answer one short request, so the model's load (about half a
    /// second here, more from a cold disk) is paid at start-up and never out of a message's budget.
    /// Blocking; call it once before serving.
    public func warmUp() throws {
        _ = try request("1\tThe scorer is ready.\tThe scorer is now ready.\n")
    }

    /// Writes one request and reads its answer (blocking; requests take turns). A request waits
    /// at most `turnWait` for its turn, so under load the waiting threads stay few and a message
    /// keeps the rules' result instead of queueing behind others.
    func request(_ line: String) throws -> [Double] {
        guard lock.lock(before: Date(timeIntervalSinceNow: turnWait)) else {
            throw Failure(description: "busy: another message held the scorer for \(turnWait) s")
        }
        defer { lock.unlock() }
        let (process, input, output) = try started()
        do {
            try write(line, to: input)
            let answer = try readLine(from: output)
            let fields = answer.split(separator: "\t").map { Double($0) ?? .nan }
            guard fields.count >= 1, fields[0].isFinite else {
                throw Failure(description: "unscored: \(answer.prefix(80))")
            }
            return Array(fields.dropFirst())
        } catch let failure as Failure where process.hasEnded || failure.description.hasPrefix("lmscore ended") {
            stop()
            throw failure
        }
    }

    private func started() throws -> (ChildProcess, Int32, Int32) {
        if let running, !running.process.hasEnded { return running }
        stop()
        var toChild: [Int32] = [0, 0]
        var fromChild: [Int32] = [0, 0]
        guard pipe(&toChild) == 0, pipe(&fromChild) == 0 else {
            throw Failure(description: "no pipes: \(String(cString: strerror(errno)))")
        }
        // Our ends must not leak into other children (Harper's, llama-server's): one that held the
        // write end would keep the scorer from ever seeing the end of its input.
        for descriptor in toChild + fromChild { _ = fcntl(descriptor, F_SETFD, FD_CLOEXEC) }
        // At a lower priority (nice 10): under load the learners' chats come first, and a message
        // whose scoring then runs past its budget keeps the rules' result (docs/resilience.md).
        let niced = FileManager.default.isExecutableFile(atPath: Self.nice)
        let process = try ChildProcess(
            executable: niced ? Self.nice : executable,
            arguments: (niced ? ["-n", "10", executable] : []) + [model, "-", String(threads)], outputPath: nil,
            errorPath: "/dev/null", diesWithParent: true, pipes: (toChild[0], fromChild[1]))
        close(toChild[0])
        close(fromChild[1])
        running = (process, toChild[1], fromChild[0])
        pending = Data()
        return (process, toChild[1], fromChild[0])
    }

    /// coreutils' `nice`, on every Debian.
    static let nice = "/usr/bin/nice"

    private func stop() {
        guard let running else { return }
        close(running.input)
        close(running.output)
        running.process.signal(SIGKILL)
        self.running = nil
    }

    private func write(_ line: String, to descriptor: Int32) throws {
        var bytes = Array(line.utf8)
        var offset = 0
        while offset < bytes.count {
            let written = bytes.withUnsafeMutableBytes {
                Glibc.write(descriptor, $0.baseAddress! + offset, $0.count - offset)
            }
            if written < 0 && errno == EINTR { continue }
            guard written > 0 else { throw Failure(description: "lmscore ended (write)") }
            offset += written
        }
        bytes.removeAll()
    }

    private func readLine(from descriptor: Int32) throws -> String {
        var buffer = [UInt8](repeating: 0, count: 4096)
        while true {
            if let newline = pending.firstIndex(of: UInt8(ascii: "\n")) {
                let line = pending[pending.startIndex..<newline]
                pending = Data(pending[(newline + 1)...])
                return String(decoding: line, as: UTF8.self)
            }
            let count = buffer.withUnsafeMutableBytes { Glibc.read(descriptor, $0.baseAddress!, $0.count) }
            if count < 0 && errno == EINTR { continue }
            guard count > 0 else { throw Failure(description: "lmscore ended (read)") }
            pending.append(contentsOf: buffer[0..<count])
        }
    }

    /// Tabs and line breaks would break the protocol: spaces instead.
    static func oneLine(_ text: String) -> String {
        String(text.map { $0 == "\t" || $0.isNewline ? " " : $0 })
    }
}

/// A continuation resumed once: by the answer or by cancellation, whichever comes first.
final class OneAnswer: @unchecked Sendable {
    private let lock = NSLock()
    private var continuation: CheckedContinuation<[Double], any Error>?
    private var early: Result<[Double], any Error>?
    private var done = false

    func set(_ continuation: CheckedContinuation<[Double], any Error>) {
        lock.lock()
        defer { lock.unlock() }
        if let early {
            continuation.resume(with: early)
        } else {
            self.continuation = continuation
        }
    }

    func resume(with result: Result<[Double], any Error>) {
        lock.lock()
        defer { lock.unlock() }
        guard !done else { return }
        done = true
        if let continuation {
            continuation.resume(with: result)
            self.continuation = nil
        } else {
            early = result
        }
    }
}
