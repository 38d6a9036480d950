/// Bounds how much work a server takes on at once: at most `maxRunning` requests run, at most
/// `maxWaiting` wait for a turn, and none waits longer than `maxWait`. A request that cannot get
/// in is refused at once (the caller answers 503 with `Retry-After`), so under overload learners
/// get a quick, documented answer to retry instead of a queue that grows until their client times
/// out (issue 9's load run: feedback under starvation did not answer within 180 s).
/// One user holds at most `maxPerUser` of the running and waiting places together (issue 19: one
/// learner could fill all 16 + 32), so the others always find room.
public actor AdmissionGate {
    public let maxRunning: Int
    public let maxWaiting: Int
    public let maxWait: Duration
    /// The most places (running and waiting) one user may hold at once.
    public let maxPerUser: Int
    private var perUser: [String: Int] = [:]

    private var running = 0
    private var waiters: [(id: UInt64, continuation: CheckedContinuation<Bool, Never>)] = []
    private var nextID: UInt64 = 0
    /// Requests refused since start (full queue or waited too long), for the log and tests.
    public private(set) var refused = 0

    /// - Parameter maxPerUser: places one user may hold; default 4.
    public init(maxRunning: Int, maxWaiting: Int, maxWait: Duration, maxPerUser: Int = 4) {
        self.maxRunning = max(1, maxRunning)
        self.maxWaiting = max(0, maxWaiting)
        self.maxWait = maxWait
        self.maxPerUser = max(1, maxPerUser)
    }

    /// Runs `work` when a turn comes; nil when the request is refused.
    /// - Parameter user: who asks (the token's `sub`); nil is not counted per user.
    public func run<Value: Sendable>(for user: String? = nil, _ work: @Sendable () async -> Value) async -> Value? {
        if let user {
            guard perUser[user, default: 0] < maxPerUser else {
                refused += 1
                return nil
            }
            perUser[user, default: 0] += 1
        }
        defer {
            if let user {
                perUser[user, default: 1] -= 1
                if perUser[user] == 0 { perUser[user] = nil }
            }
        }
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
