import ArgumentParser
import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// `cakap bench`: Cakap side by side with its anchors (llama-server, HAProxy, wrk) on this machine,
/// writing docs/benchmarks.md (issue 8).
///
/// The measuring is done by the kept driver `tools/bench/bench.py` (Python's standard library only):
/// this command replaces itself with it, passing its own executable as the one to measure, so
/// signals (Ctrl-C) reach the driver, which stops every server it started.
struct Bench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract: "Benchmark the worker, balancer, edge, conversations and tutor against their anchors.",
        discussion:
            "Sections: stream, concurrency, overhead, conversations, tutor. A full run takes about 9 minutes on a quiet machine."
    )

    @Flag(help: "One run, short durations, small data (the smoke test; under 2 minutes).") var quick = false
    @Option(help: "Sections to run, comma-separated or repeated (default: all).") var only: [String] = []
    @Option(help: "Runs per figure (default 5; 1 with --quick).") var runs: Int?
    @Option(help: "The report (default docs/benchmarks.md; with --quick .build/bench/benchmarks-quick.md).") var output:
        String?
    @Option(help: "Folder for the raw JSON (default .build/bench of the repository).") var raw: String?
    @Option(help: "Chat model of the stream, concurrency and overhead sections.") var model: String = "smollm2:135m"
    @Option(help: "CPU threads per engine (1: on a shared machine two threads wait on each other at every token).")
    var threads: Int = 1
    @Option(help: "Fixed request rates of the overhead section, comma-separated.") var rates: String = "100,500,1000"
    @Option(help: "Request rate of the conversations section.") var conversationRate: Int = 200

    /// The driver's arguments for these options.
    func driverArguments(executable: String) -> [String] {
        var arguments = ["--cakap", executable, "--model", model, "--threads", String(threads), "--rates", rates]
        arguments += ["--conversation-rate", String(conversationRate)]
        if quick { arguments.append("--quick") }
        for section in only { arguments += ["--only", section] }
        if let runs { arguments += ["--runs", String(runs)] }
        if let output { arguments += ["--output", output] }
        if let raw { arguments += ["--raw", raw] }
        return arguments
    }

    func run() throws {
        let driver = try Repository.path("tools/bench/bench.py")
        guard FileManager.default.fileExists(atPath: driver) else {
            throw ValidationError("the bench driver is missing at \(driver)")
        }
        let executable =
            (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe"))
            ?? CommandLine.arguments[0]
        // This runs on a Swift concurrency thread, which blocks almost every signal, and exec keeps
        // the mask: the driver, and every server it starts, would then ignore SIGTERM and Ctrl-C.
        var unblocked = sigset_t()
        sigemptyset(&unblocked)
        pthread_sigmask(SIG_SETMASK, &unblocked, nil)
        let arguments = ["python3", driver] + driverArguments(executable: executable)
        var cArguments = arguments.map { strdup($0) } + [nil]
        execvp("python3", &cArguments)
        throw ValidationError("could not start python3: \(String(cString: strerror(errno)))")
    }
}
