import Crypto
import Foundation

extension Deployer {
    /// CloudFormation's limit for a template passed inline (`--template-body`); a larger one must
    /// be read from S3 (`--template-url`, up to 1 MB).
    public static let inlineTemplateLimit = 51_200

    /// The S3 key an artefact is uploaded under: the plan's key with the first 16 hex digits of
    /// the file's SHA-256 before the extension (`lambda/tutor.zip` → `lambda/tutor-<digest>.zip`).
    /// A rebuilt artefact gets a new key, so the parameter that names it changes and CloudFormation
    /// updates the Lambda code or the association; a fixed key never changes, so a redeploy kept
    /// the old code (issue 20). An unchanged artefact keeps its key, and its stack sees no change.
    public static func versionedKey(_ key: String, file: String?) throws -> String {
        guard let file, let data = FileManager.default.contents(atPath: file) else {
            throw DeploymentError(description: "artefact \(key) is needed but was not built")
        }
        let digest = SHA256.hash(data: data).map { String(format: "%02x", $0) }.joined().prefix(16)
        let name = key as NSString
        let stem = name.deletingPathExtension
        return name.pathExtension.isEmpty ? "\(stem)-\(digest)" : "\(stem)-\(digest).\(name.pathExtension)"
    }

    /// How `create-stack`/`update-stack` get the template: inline when it fits, else uploaded to
    /// the region's artefact bucket (named by its digest, so an unchanged template is not a change)
    /// and passed by URL. `api.yaml` is near the inline limit (issue 20).
    public func templateArguments(
        for stack: StackPlan.Stack, outputs: inout [String: [String: String]]
    ) throws
        -> [String]
    {
        let path = repository + "/" + stack.template
        let body = try String(contentsOfFile: path, encoding: .utf8)
        guard body.utf8.count > Self.inlineTemplateLimit else { return ["--template-body", body] }
        guard
            let bucketStack = plan.stacks.first(where: {
                $0.name.hasPrefix("lks-artefacts-") && $0.region == stack.region
            })
        else {
            throw DeploymentError(
                description: "\(stack.template) is too large to pass inline and \(stack.region) has no artefact bucket")
        }
        if outputs[bucketStack.name] == nil {
            outputs[bucketStack.name] = try stackOutputs(bucketStack.name, region: stack.region)
        }
        guard let bucket = outputs[bucketStack.name]?["ArtefactBucketName"] else {
            throw DeploymentError(description: "\(bucketStack.name) has no ArtefactBucketName output: deploy it first")
        }
        let key = try Self.versionedKey("templates/" + (stack.template as NSString).lastPathComponent, file: path)
        progress(
            "    \(stack.template) is \(body.utf8.count) bytes (inline limit \(Self.inlineTemplateLimit)): from s3://\(bucket)/\(key)"
        )
        _ = try cloud.aws(["s3", "cp", path, "s3://\(bucket)/\(key)"], region: stack.region)
        return ["--template-url", "https://\(bucket).s3.\(stack.region).amazonaws.com/\(key)"]
    }
}
