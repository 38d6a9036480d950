import Deployment
import Foundation
import Testing

/// The web app's settings on AWS (issue 6, R-WEB-1): generated from the stack outputs into the
/// Amplify bundle, never committed.
@Suite struct WebAppConfigurationTests {
    @Test func theScriptHoldsTheStackOutputsAndTheKeysTheAppReads() throws {
        let script = try WebAppConfiguration.script(
            apiURL: "https://abc.execute-api.us-east-1.amazonaws.com/prod/", userPoolId: "us-east-1_Pool1",
            clientId: "client1", regions: ["us-east-1", "us-west-2"])
        let start = try #require(script.range(of: "Object.freeze(")).upperBound
        let end = try #require(script.range(of: ");", options: .backwards)).lowerBound
        let settings = try #require(
            try JSONSerialization.jsonObject(with: Data(script[start..<end].utf8)) as? [String: Any])
        // The same keys as the local edge's /config.js (CakapEdge WebClientSettings).
        #expect(
            Set(settings.keys) == [
                "apiBaseURL", "identityEndpoint", "identityRegion", "userPoolId", "clientId", "regions",
                "defaultModel", "statusPath",
            ])
        #expect(settings["apiBaseURL"] as? String == "https://abc.execute-api.us-east-1.amazonaws.com/prod")
        #expect(settings["identityEndpoint"] as? String == "https://cognito-idp.us-east-1.amazonaws.com/")
        #expect(settings["regions"] as? [String] == ["us-east-1", "us-west-2"])
        #expect(settings["statusPath"] as? String == "")
    }

    @Test func theBundleGetsConfigJSAtItsRootAndTheOriginalIsKept() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("web-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        try Data("<!doctype html>".utf8).write(to: folder.appendingPathComponent("index.html"))
        let original = folder.appendingPathComponent("site.zip").path
        try run(["zip", "-q", "-j", original, folder.appendingPathComponent("index.html").path])
        let configured = try WebAppConfiguration.bundle(original, adding: "export default {};\n")
        #expect(try run(["unzip", "-Z1", configured]).split(separator: "\n").sorted() == ["config.js", "index.html"])
        #expect(try run(["unzip", "-p", configured, "config.js"]) == "export default {};\n")
        #expect(try run(["unzip", "-Z1", original]) == "index.html\n")
    }

    @discardableResult
    func run(_ arguments: [String]) throws -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = arguments
        let pipe = Pipe()
        process.standardOutput = pipe
        try process.run()
        let output = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return String(decoding: output, as: UTF8.self)
    }
}
