import Foundation
import Logging
import ServiceLifecycle

/// Decides which engine serves a request: starts one `llama-server` per (model, context length) on
/// first use, admits at most `parallel` requests per engine and queues at most `maxQueue` more
/// (then `WorkerError.busy`), stops idle engines when their keep-alive ends, restarts crashed ones
/// on the next request with exponential backoff, and on shutdown drains before stopping them all.
/// At most `maxEngines` engines exist at once (issue 19: each distinct `num_ctx` with
/// `keep_alive: -1` used to start and keep another `llama-server`): a new one first stops the
/// least recently used idle engine, and when every engine is busy the request gets
/// `WorkerError.enginesBusy` (503).
public actor EngineScheduler: Service {
    struct Key: Hashable, Sendable {
        var modelPath: String
        var contextLength: Int
    }

    /// The lifecycle of one engine (STYLE.md §8): re-checked after every `await`.
    enum State {
        case starting(Task<any RunningEngine, any Error>)
        case ready(any RunningEngine)
    }

    final class Slot {
        let id: Int
        let key: Key
        let displayName: String
        var state: State
        var active = 0
        var waiters: [CheckedContinuation<Void, any Error>] = []
        var expiresAt: ContinuousClock.Instant?
        var expiresAtWallClock: Date?
        var loadDuration: Duration = .zero
        /// When a request last gave its slot back: the least recent idle engine is stopped first.
        var lastUsed = ContinuousClock.now
        let specification: EngineSpecification

        init(id: Int, key: Key, displayName: String, state: State, specification: EngineSpecification) {
            self.id = id
            self.key = key
            self.displayName = displayName
            self.state = state
            self.specification = specification
        }
    }

    struct Failure {
        var count: Int
        var retryAt: ContinuousClock.Instant
        var reason: String
    }

    let launcher: any EngineLauncher
    let parallel: Int
    let maxQueue: Int
    let threads: Int
    let maxEngines: Int
    let drainTimeout: Duration
    let logger: Logger
    private var slots: [Key: Slot] = [:]
    private var failures: [Key: Failure] = [:]
    private var queued = 0
    private var nextSlotID = 0
    private var draining = false
    /// Engine loads, for metrics.
    private(set) var loadCount = 0

    public init(
        launcher: any EngineLauncher, parallel: Int, maxQueue: Int, threads: Int, maxEngines: Int = 4,
        drainTimeout: Duration, logger: Logger
    ) {
        self.launcher = launcher
        self.maxEngines = max(1, maxEngines)
        self.parallel = parallel
        self.maxQueue = maxQueue
        self.threads = threads
        self.drainTimeout = drainTimeout
        self.logger = logger
    }

    /// A slot on a ready engine; give it back with `release`.
    public struct Lease: Sendable {
        let key: Key
        let slotID: Int
        /// The engine to use.
        public let engine: any RunningEngine
        /// Time spent loading the model for this request (zero when it was loaded).
        public let loadDuration: Duration
        /// Tokens of context each request on this engine has.
        public var contextLength: Int { key.contextLength }
    }

    /// Requests waiting for a slot now.
    public var queueDepth: Int { queued }

    /// Waits for a slot on the engine for `model`, starting the engine if needed.
    /// - Throws: `WorkerError.busy` when the queue is full, `EngineError` when the engine cannot start.
    public func acquire(_ model: ModelHandle, contextLength: Int) async throws -> Lease {
        guard !draining else { throw WorkerError.shuttingDown }
        let key = Key(modelPath: model.path, contextLength: contextLength)
        let slot = try slot(for: key, model: model)
        if slot.active < parallel {
            slot.active += 1
        } else {
            guard queued < maxQueue else { throw WorkerError.busy }
            queued += 1
            defer { queued -= 1 }
            // On resume the releasing request has handed its slot over (`active` unchanged).
            try await withCheckedThrowingContinuation { slot.waiters.append($0) }
        }
        do {
            let (engine, loadDuration) = try await readyEngine(slot)
            return Lease(key: key, slotID: slot.id, engine: engine, loadDuration: loadDuration)
        } catch {
            releaseSlot(slot)
            throw error
        }
    }

    /// Gives a slot back; the engine then stays loaded for `keepAlive` (nil: forever; zero: unload now).
    public func release(_ lease: Lease, keepAlive: Duration?) {
        // The engine may have died and been replaced meanwhile: only its own slot counts this lease.
        guard let slot = slots[lease.key], slot.id == lease.slotID else { return }
        if let keepAlive {
            slot.expiresAt = .now + keepAlive
            slot.expiresAtWallClock = Date().addingTimeInterval(Double(keepAlive.components.seconds))
        } else {
            slot.expiresAt = nil
            slot.expiresAtWallClock = .distantFuture
        }
        slot.lastUsed = .now
        releaseSlot(slot)
        if keepAlive == .zero { stopIfIdle(slot) }
    }

    private func releaseSlot(_ slot: Slot) {
        if slot.waiters.isEmpty {
            slot.active -= 1
        } else {
            slot.waiters.removeFirst().resume()
        }
    }

    private func slot(for key: Key, model: ModelHandle) throws -> Slot {
        if let slot = slots[key] {
            guard case .ready(let engine) = slot.state, engine.hasExited else { return slot }
            // Dead, and `watch` has not heard yet (a crashed engine's stream breaks before its exit
            // is reaped): handle the exit now, so this request starts a new engine instead of
            // failing on the dead one.
            engineExited(slot, engine: engine)
        }
        if let failure = failures[key], failure.retryAt > .now {
            throw EngineError.backingOff(reason: failure.reason, retryIn: failure.retryAt - .now)
        }
        try makeRoomForAnEngine()
        let specification = EngineSpecification(
            modelPath: model.path, displayName: model.displayName, contextLength: key.contextLength,
            parallel: parallel, threads: threads, embedding: model.isEmbedding)
        let launcher = self.launcher
        let task = Task { try await launcher.launch(specification) }
        nextSlotID += 1
        let slot = Slot(
            id: nextSlotID, key: key, displayName: model.displayName, state: .starting(task),
            specification: specification)
        slots[key] = slot
        return slot
    }

    /// Stops the least recently used idle engine when the cap is reached; every engine busy → 503.
    private func makeRoomForAnEngine() throws {
        guard slots.count >= maxEngines else { return }
        let idle = slots.values.filter { slot in
            if slot.active == 0, slot.waiters.isEmpty, case .ready = slot.state { return true }
            return false
        }
        guard let oldest = idle.min(by: { $0.lastUsed < $1.lastUsed }) else { throw WorkerError.enginesBusy }
        logger.info(
            "engine cap reached: stopping the least recently used idle engine",
            metadata: ["model": "\(oldest.displayName)", "maxEngines": "\(maxEngines)"])
        stopIfIdle(oldest)
    }

    private func readyEngine(_ slot: Slot) async throws -> (any RunningEngine, Duration) {
        switch slot.state {
        case .ready(let engine):
            return (engine, .zero)
        case .starting(let task):
            let start = ContinuousClock.now
            do {
                let engine = try await task.value
                let loadDuration = ContinuousClock.now - start
                // Re-check after the await: another request may have finished the transition.
                if case .starting = slot.state, slots[slot.key] === slot {
                    slot.state = .ready(engine)
                    slot.loadDuration = loadDuration
                    loadCount += 1
                    failures[slot.key] = nil
                    watch(engine, in: slot)
                }
                return (engine, loadDuration)
            } catch {
                if slots[slot.key] === slot {
                    slots[slot.key] = nil
                    recordFailure(slot.key, reason: "\(error)")
                    for waiter in slot.waiters { waiter.resume(throwing: error) }
                    slot.waiters = []
                }
                throw error
            }
        }
    }

    private func watch(_ engine: any RunningEngine, in slot: Slot) {
        Task {
            await engine.waitForExit()
            self.engineExited(slot, engine: engine)
        }
    }

    private func engineExited(_ slot: Slot, engine: any RunningEngine) {
        // An engine stopped on purpose (idle, unload, drain) has already left `slots`.
        guard slots[slot.key] === slot else { return }
        slots[slot.key] = nil
        logger.warning(
            "llama-server exited unexpectedly",
            metadata: ["model": "\(slot.displayName)", "engine": "\(engine.identity)"])
        recordFailure(slot.key, reason: "exited unexpectedly")
        // Requests already running on it fail on their own (their stream breaks); queued ones retry.
        for waiter in slot.waiters { waiter.resume(throwing: EngineError.failed("llama-server exited; please retry")) }
        slot.waiters = []
    }

    private func recordFailure(_ key: Key, reason: String) {
        let count = (failures[key]?.count ?? 0) + 1
        // First restart is immediate; then 1 s, 2 s, 4 s … capped at 60 s.
        let delay: Duration = count <= 1 ? .zero : .seconds(min(60, 1 << min(count - 2, 6)))
        failures[key] = Failure(count: count, retryAt: .now + delay, reason: reason)
    }

    private func stopIfIdle(_ slot: Slot) {
        guard slot.active == 0, slot.waiters.isEmpty, case .ready(let engine) = slot.state else { return }
        slots[slot.key] = nil
        Task { await engine.stop(gracePeriod: .seconds(5)) }
        logger.info("unloaded model", metadata: ["model": "\(slot.displayName)"])
    }

    /// Unloads every engine of a model once idle (`keep_alive: 0`).
    public func unload(modelPath: String) {
        for slot in slots.values where slot.key.modelPath == modelPath {
            slot.expiresAt = .now
            stopIfIdle(slot)
        }
    }

    /// Stops engines whose keep-alive has passed.
    func reap() {
        let now = ContinuousClock.now
        for slot in slots.values {
            if let expiresAt = slot.expiresAt, expiresAt <= now { stopIfIdle(slot) }
        }
    }

    /// The loaded engines, for `/api/ps` and `/health/ready`.
    public func loaded() -> [LoadedEngine] {
        slots.values.compactMap { slot in
            guard case .ready(let engine) = slot.state else { return nil }
            return LoadedEngine(
                modelPath: slot.key.modelPath, displayName: slot.displayName, contextLength: slot.key.contextLength,
                expiresAt: slot.expiresAtWallClock ?? .distantFuture, activeRequests: slot.active,
                freeSlots: max(0, parallel - slot.active), identity: engine.identity)
        }.sorted { $0.displayName < $1.displayName }
    }

    // MARK: - Service

    /// Reaps idle engines every second until shutdown, then drains and stops them all.
    public func run() async throws {
        try? await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                try await Task.sleep(for: .seconds(1))
                await self.reap()
            }
        }
        await drainAndStop()
    }

    /// Refuses new requests, waits up to `drainTimeout` for running ones, then stops every engine.
    public func drainAndStop() async {
        draining = true
        let deadline = ContinuousClock.now + drainTimeout
        while slots.values.contains(where: { $0.active > 0 }), ContinuousClock.now < deadline {
            try? await Task.sleep(for: .milliseconds(100))
        }
        let engines = slots.values.compactMap { slot -> (any RunningEngine)? in
            if case .ready(let engine) = slot.state { return engine }
            if case .starting(let task) = slot.state { task.cancel() }
            return nil
        }
        slots = [:]
        await withTaskGroup(of: Void.self) { group in
            for engine in engines { group.addTask { await engine.stop(gracePeriod: .seconds(5)) } }
        }
        logger.info("all engines stopped", metadata: ["count": "\(engines.count)"])
    }
}

/// A model as the scheduler needs to know it.
public struct ModelHandle: Sendable {
    public var path: String
    public var displayName: String
    public var isEmbedding: Bool

    public init(path: String, displayName: String, isEmbedding: Bool) {
        self.path = path
        self.displayName = displayName
        self.isEmbedding = isEmbedding
    }
}

/// A loaded engine, as `/api/ps` and `/health/ready` show it.
public struct LoadedEngine: Sendable {
    public var modelPath: String
    public var displayName: String
    public var contextLength: Int
    public var expiresAt: Date
    public var activeRequests: Int
    public var freeSlots: Int
    public var identity: String
}
