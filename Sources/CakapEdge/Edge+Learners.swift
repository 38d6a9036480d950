import Foundation
import NIOCore
import Synchronization

/// What the edge changes in a learner's model request before a worker sees it (issue 19).
extension Edge {
    /// The body without `keep_alive`: a learner's `keep_alive: 0` unloaded the shared chat model
    /// for everyone, and `-1` pinned an engine forever; the workers' own default applies instead.
    /// A body that is not a JSON object passes unchanged (the worker answers it with a 400).
    static func learnerBody(_ body: ByteBuffer) -> ByteBuffer {
        guard body.readableBytes > 0, body.readableBytesView.contains(UInt8(ascii: "k")),
            var object = try? JSONSerialization.jsonObject(with: Data(body.readableBytesView)) as? [String: Any],
            object.removeValue(forKey: "keep_alive") != nil,
            let data = try? JSONSerialization.data(withJSONObject: object)
        else { return body }
        return ByteBuffer(bytes: data)
    }
}

/// How many model requests each user has in flight at the edge (per-user fairness, issue 19): one
/// learner's parallel streams cannot take every slot of the workers. The per-user rate throttle
/// counts requests; this counts the ones still running (a stream holds its place until it ends).
actor InFlightLimiter {
    let limit: Int
    private var counts: [String: Int] = [:]

    init(limit: Int) {
        self.limit = max(1, limit)
    }

    /// Takes a place for `user`; false when they already hold `limit`.
    func enter(_ user: String) -> Bool {
        guard counts[user, default: 0] < limit else { return false }
        counts[user, default: 0] += 1
        return true
    }

    /// Gives a place back.
    func leave(_ user: String) {
        guard let count = counts[user] else { return }
        counts[user] = count > 1 ? count - 1 : nil
    }
}

/// Runs an async action at most once, however many paths (a finished body, an error) call it.
final class OnceAction: Sendable {
    private let done = Mutex(false)
    private let action: @Sendable () async -> Void

    init(_ action: @escaping @Sendable () async -> Void) {
        self.action = action
    }

    func callAsFunction() async {
        let first = done.withLock { done in
            defer { done = true }
            return !done
        }
        if first { await action() }
    }
}
