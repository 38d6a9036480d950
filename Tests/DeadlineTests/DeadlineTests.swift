import Deadline
import Synchronization
import Testing

/// The code base's one deadline race (`withDeadline`).
@Suite struct DeadlineTests {
    @Test func aResultWithinTheBudgetIsReturned() async throws {
        #expect(try await withDeadline(.seconds(5)) { 42 } == 42)
    }

    @Test func anOperationPastItsBudgetIsCancelledAndTheDeadlineThrown() async throws {
        let cancelled = Flag()
        let error = await #expect(throws: DeadlineExceeded.self) {
            try await withDeadline(.milliseconds(50)) {
                do {
                    try await Task.sleep(for: .seconds(60))
                } catch {
                    cancelled.raise()
                    throw error
                }
                return 1
            }
        }
        #expect(error?.budget == .milliseconds(50))
        #expect(cancelled.isRaised)
    }

    @Test func theOperationsOwnErrorIsPassedOn() async throws {
        struct Refused: Error {}
        await #expect(throws: Refused.self) {
            try await withDeadline(.seconds(5)) { () async throws -> Int in throw Refused() }
        }
    }

    @Test func aBudgetOfZeroThrowsWithoutStartingTheOperation() async throws {
        let started = Flag()
        await #expect(throws: DeadlineExceeded.self) {
            try await withDeadline(.zero) {
                started.raise()
                return 1
            }
        }
        #expect(!started.isRaised)
    }
}

/// A flag an operation raises, read after it.
final class Flag: Sendable {
    private let value = Atomic<Bool>(false)
    func raise() { value.store(true, ordering: .relaxed) }
    var isRaised: Bool { value.load(ordering: .relaxed) }
}
