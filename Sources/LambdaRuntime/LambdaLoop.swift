import Deadline
import Foundation
import Logging

/// The runtime loop: next invocation → handler → response or error, for ever. A handler gets
/// the time left before Lambda's deadline (less a margin to report in), and one that overruns it
/// is reported as `Runtime.Timeout` instead of being killed silently.
public enum LambdaLoop {
    /// What the loop calls for each event.
    public typealias Handler = @Sendable (Invocation) async throws -> [UInt8]

    /// Time kept back from the deadline to send the answer.
    public static let reportingMargin: Duration = .milliseconds(250)

    /// Serves invocations until `maxInvocations` (nil: for ever) or a Runtime API failure.
    public static func run(
        client: some RuntimeAPIClient, logger: Logger, maxInvocations: Int? = nil,
        now: @escaping @Sendable () -> Date = { Date() }, handler: @escaping Handler
    ) async throws {
        var served = 0
        while maxInvocations.map({ served < $0 }) ?? true {
            let invocation = try await client.nextInvocation()
            served += 1
            var logger = logger
            logger[metadataKey: "aws_request_id"] = "\(invocation.requestId)"
            logger[metadataKey: "function_arn"] = "\(invocation.functionARN)"
            if let trace = invocation.traceId { logger[metadataKey: "trace_id"] = "\(trace)" }
            let remaining = Double(invocation.deadlineMilliseconds) / 1000 - now().timeIntervalSince1970
            let budget = Duration.milliseconds(Int64(remaining * 1000)) - reportingMargin
            do {
                let body: [UInt8]
                do {
                    body = try await withDeadline(budget) { try await handler(invocation) }
                } catch is DeadlineExceeded {
                    throw budget > .zero
                        ? FunctionError("the handler did not finish before the deadline", type: "Runtime.Timeout")
                        : FunctionError("the deadline had passed on arrival", type: "Runtime.Timeout")
                }
                try await client.respond(to: invocation.requestId, with: body)
            } catch let error as FunctionError {
                logger.error("invocation failed", metadata: ["type": "\(error.errorType)"])
                try await client.reportError(for: invocation.requestId, error)
            } catch {
                logger.error("invocation failed", metadata: ["error": "\(error)"])
                try await client.reportError(
                    for: invocation.requestId,
                    FunctionError("the handler failed: \(type(of: error))", type: "Runtime.HandlerError"))
            }
        }
    }

    /// Reports an initialisation failure (a bad setting, a database that never answered).
    public static func reportInitFailure(client: some RuntimeAPIClient, _ error: any Error) async {
        try? await client.reportInitError(FunctionError("initialisation failed: \(error)", type: "Runtime.InitError"))
    }
}
