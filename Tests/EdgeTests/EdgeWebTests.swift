import CakapEdge
import Foundation
import Testing

/// The web app's side of the edge (issue 6): `config.js` from the edge's configuration
/// (R-WEB-1) and the check page's status report (R-APP-9), over a scripted probe.
@Suite struct EdgeWebTests {
    /// Answers by URL; a URL without an answer is unreachable.
    struct ScriptedProbe: StatusProbe {
        var answers: [String: (Int, String)]

        func get(_ url: String, timeout: Duration) async throws -> (status: Int, body: String) {
            guard let answer = answers[url] else { throw URLError(.cannotConnectToHost) }
            return answer
        }
    }

    let regions = [
        EdgeConfiguration.RegionUpstream(name: "us-east-1", balancerURL: "http://b1", adminURL: "http://a1"),
        EdgeConfiguration.RegionUpstream(name: "us-west-2", balancerURL: "http://b2"),
    ]

    @Test func developmentSettingsPointAtTheSameOrigin() throws {
        let configuration = EdgeConfiguration(
            port: 8080, regions: regions,
            identity: .development(dataDirectory: "/tmp", poolId: "us-east-1_CakapDev1", clientId: "client1"))
        let settings = WebClientSettings(edge: configuration)
        #expect(settings.apiBaseURL == "")
        #expect(settings.identityEndpoint == "/idp/")
        #expect(settings.userPoolId == "us-east-1_CakapDev1")
        #expect(settings.identityRegion == "us-east-1")
        #expect(settings.regions == ["us-east-1", "us-west-2"])  // R-APP-7: the first is the default
        #expect(settings.statusPath == "/status")
    }

    @Test func anExternalPoolsEndpointComesFromItsIssuer() {
        let configuration = EdgeConfiguration(
            port: 8080, regions: regions,
            identity: .external(
                jwksURL: "https://x/jwks.json", issuer: "https://cognito-idp.us-west-2.amazonaws.com/us-west-2_Abc",
                clientId: "c"))
        let settings = WebClientSettings(edge: configuration)
        #expect(settings.identityEndpoint == "https://cognito-idp.us-west-2.amazonaws.com/")
        #expect(settings.userPoolId == "us-west-2_Abc")
        #expect(settings.identityRegion == "us-west-2")
    }

    @Test func theModuleIsJSONBehindAnExportAndEscapesQuotes() throws {
        let settings = WebClientSettings(
            apiBaseURL: "https://api\"</script>", identityEndpoint: "e", identityRegion: "r", userPoolId: "p",
            clientId: "c", regions: ["us-east-1"])
        let module = try settings.javascriptModule()
        let prefix = "export default Object.freeze("
        let start = try #require(module.range(of: prefix)).upperBound
        let end = try #require(module.range(of: ");", options: .backwards)).lowerBound
        let decoded = try JSONDecoder().decode(WebClientSettings.self, from: Data(module[start..<end].utf8))
        #expect(decoded == settings)  // the quote could not end the literal early
    }

    @Test func theReportShowsEveryPoolAndZoneWithHealthAndLatency() async {
        let targets = """
            {"chat":[{"url":"http://w2","zone":"b","healthy":false,"outstanding":0},
                     {"url":"http://w1","zone":"a","healthy":true,"outstanding":2}],
             "llm":[{"url":"http://w3","zone":"a","healthy":true,"outstanding":0}]}
            """
        let probe = ScriptedProbe(answers: [
            "http://b1/": (200, "its worked!"), "http://a1/targets": (200, targets),
            "http://w1/health/ready": (200, "ok"), "http://w3/health/ready": (200, "ok"),
            "http://b2/": (200, "something else"), "http://c/healthz": (200, "ok"),
        ])
        let reporter = StatusReporter(
            regions: regions, services: [("conversations", "http://c"), ("tutor", nil)], probe: probe)
        let report = await reporter.report()
        #expect(report.regions.map(\.name) == ["us-east-1", "us-west-2"])
        let east = report.regions[0]
        #expect(east.balancer.healthy && east.balancer.latencyMs != nil)
        #expect(east.pools.map(\.name) == ["chat", "llm"])
        let chat = east.pools[0]
        #expect(chat.targets.map(\.zone) == ["a", "b"])  // zones in order
        #expect(chat.targets[0].check.healthy && chat.targets[0].outstanding == 2)
        #expect(!chat.targets[1].check.healthy && chat.targets[1].check.error == "no answer")
        #expect(chat.healthy)  // one healthy zone serves the pool
        let west = report.regions[1]
        #expect(!west.balancer.healthy && west.balancer.error == "unexpected answer")
        #expect(west.pools.isEmpty)  // no admin URL: no pool detail
        #expect(report.services[0].check.healthy)
        #expect(report.services[1].check.error == "not configured")
    }
}
