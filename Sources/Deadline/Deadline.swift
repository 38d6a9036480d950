/// The operation did not finish within its budget.
public struct DeadlineExceeded: Error, CustomStringConvertible, Sendable {
    public let budget: Duration
    public var description: String { "not finished within \(budget)" }
}

/// `operation`'s result when it finishes within `budget`; otherwise it is cancelled and
/// `DeadlineExceeded` is thrown. A budget of zero or less throws at once, without starting it.
/// The one deadline race of the code base: the tutor's model calls, the Lambda handler's time left
/// and `ChildProcess.wait(atMost:)`.
public func withDeadline<T: Sendable>(
    _ budget: Duration, _ operation: @escaping @Sendable () async throws -> T
) async throws -> T {
    guard budget > .zero else { throw DeadlineExceeded(budget: budget) }
    return try await withThrowingTaskGroup(of: T.self) { group in
        group.addTask { try await operation() }
        group.addTask {
            try await Task.sleep(for: budget)
            throw DeadlineExceeded(budget: budget)
        }
        defer { group.cancelAll() }
        return try await group.next()!
    }
}
