import Foundation

/// Prints each setup step with its elapsed time; long steps print a heartbeat line.
public final class SetupReporter: Sendable {
    let write: @Sendable (String) -> Void

    /// - Parameter write: where lines go; standard output by default.
    public init(
        write: @escaping @Sendable (String) -> Void = {
            print($0); fflush(nil)
        }
    ) {
        self.write = write
    }

    /// Runs `body` as a named step: "→ name", then "✓ name (12.3 s)" or "✗ name".
    /// - Parameter progress: for long steps, returns a short progress text to print every 15 s.
    public func step<T>(
        _ name: String, progress: (@Sendable () -> String?)? = nil, _ body: () throws -> T
    ) throws -> T {
        let start = ContinuousClock.now
        write("→ \(name)")
        let ticker: Task<Void, Never>? = progress.map { progress in
            Task.detached { [write] in
                while !Task.isCancelled {
                    try? await Task.sleep(for: .seconds(15))
                    guard !Task.isCancelled else { return }
                    let elapsed = ContinuousClock.now - start
                    write("  … \(Self.format(elapsed))\(progress().map { ", \($0)" } ?? "")")
                }
            }
        }
        defer { ticker?.cancel() }
        do {
            let result = try body()
            write("✓ \(name) (\(Self.format(ContinuousClock.now - start)))")
            return result
        } catch {
            write("✗ \(name) (\(Self.format(ContinuousClock.now - start)))")
            throw error
        }
    }

    /// A line of explanation between steps (e.g. why a cached result is made again).
    public func note(_ text: String) {
        write("! \(text)")
    }

    /// Reports a step that had nothing to do.
    public func cached(_ name: String, detail: String) {
        write("✓ \(name) (cached: \(detail))")
    }

    static func format(_ duration: Duration) -> String {
        let seconds = Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
        return String(format: "%.1f s", seconds)
    }
}
