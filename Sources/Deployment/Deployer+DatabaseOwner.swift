import Foundation

extension Deployer {
    /// The api stack's function that owns the database (issue 19).
    static let databaseOwnerOutput = "OwnerFunctionName"

    /// Invokes `lks-fn-db-owner` once, right after the api stack: it applies the migrations and
    /// creates or updates `cakap_fn`, the role the API's functions log in with; until it has run,
    /// they cannot prepare their schema. Its `FunctionError` (an init or invocation error) fails
    /// the deploy with the function's own message.
    func invokeDatabaseOwner(of stack: StackPlan.Stack, outputs: [String: String]) throws {
        guard let function = outputs[Self.databaseOwnerOutput] else {
            throw DeploymentError(description: "\(stack.name) has no output \(Self.databaseOwnerOutput)")
        }
        struct Answer: Decodable {
            var statusCode: Int?
            var functionError: String?
            enum CodingKeys: String, CodingKey {
                case statusCode = "StatusCode"
                case functionError = "FunctionError"
            }
        }
        progress("    \(function): migrations and the functions' database role")
        let folder = NSTemporaryDirectory() + "cakap-owner-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let response = folder + "/response.json"
        // The function may retry an unready database for 40 s of its 60 s; the CLI's own read
        // timeout (60 s) must not give up first.
        let answer = try decode(
            try cloud.aws(
                ["lambda", "invoke", "--function-name", function, "--cli-read-timeout", "90", response],
                region: stack.region),
            as: Answer?.self)
        let payload = (try? String(contentsOfFile: response, encoding: .utf8)) ?? ""
        if let error = answer?.functionError {
            throw DeploymentError(
                description: "\(function) failed (\(error)): \(payload.isEmpty ? "no error message" : payload)")
        }
        guard let status = answer?.statusCode, (200..<300).contains(status) else {
            throw DeploymentError(description: "\(function) was not invoked: \(answer.map { "\($0)" } ?? "no answer")")
        }
        progress("    \(payload)")
    }
}
