/// Bounds how much work a server takes on at once: at most `maxRunning` requests run, at most
/// `maxWaiting` wait for a turn, and none waits longer than `maxWait`. A request that cannot get
/// in is refused at once (the caller answers 503 with `Retry-After`), so under overload learners
/// get a quick, documented answer to retry instead of a queue that grows until their client times
/// out (issue 9's load run: feedback under starvation did not answer within 180 s).
public actor AdmissionGate {
    public let maxRunning: Int
    public let maxWaiting: Int
    public let maxWait: Duration

    private var running = 0
    private var waiters: [(id: UInt64, continuation: CheckedContinuation<Bool, Never>)] = []
    private var nextID: UInt64 = 0
    /// Requests refused since start (full queue or waited too long), for the log and tests.
    public private(set) var refused = 0

    public init(maxRunning: Int, maxWaiting: Int, maxWait: Duration) {
        self.maxRunning = max(1, maxRunning)
        self.maxWaiting = max(0, maxWaiting)
        self.maxWait = maxWait
    }

    /// Runs `work` when a turn comes; nil when the request is refused.
    public func run<Value: Sendable>(_ work: @Sendable () async -> Value) async -> Value? {
        guard await enter() else { return nil }
        let value = await work()
        leave()
        return value
    }

    /// Requests running and waiting now.
    public var load: (running: Int, waiting: Int) { (running, waiters.count) }

    func enter() async -> Bool {
        if running < maxRunning {
            running += 1
            return true
        }
        guard waiters.count < maxWaiting else {
            refused += 1
            return false
        }
        nextID &+= 1
        let id = nextID
        let maxWait = maxWait
        Task { [weak self] in
            try? await Task.sleep(for: maxWait)
            await self?.expire(id)
        }
        return await withCheckedContinuation { continuation in
            waiters.append((id, continuation))
        }
    }

    func leave() {
        if waiters.isEmpty {
            running -= 1
        } else {
            // The turn passes straight to the longest waiter; `running` stays the same.
            waiters.removeFirst().continuation.resume(returning: true)
        }
    }

    private func expire(_ id: UInt64) {
        guard let index = waiters.firstIndex(where: { $0.id == id }) else { return }
        refused += 1
        waiters.remove(at: index).continuation.resume(returning: false)
    }
}
