import ModelStore
import TestSupport
import Testing

@Suite struct ModelNameTests {
    @Test func shortNamesAreTheDefaultRegistryAndLibrary() throws {
        let name = try ModelName(parsing: "smollm2:135m")
        #expect(name.host == "registry.ollama.ai")
        #expect(name.namespace == "library")
        #expect(name.model == "smollm2")
        #expect(name.tag == "135m")
        #expect(name.displayName == "smollm2:135m")
        #expect(try ModelName(parsing: "orca-mini").tag == "latest")
    }

    @Test func fullNamesKeepHostWithPort() throws {
        let name = try ModelName(parsing: "127.0.0.1:5000/team/tutor:v1")
        #expect(name.host == "127.0.0.1:5000")
        #expect(name.namespace == "team")
        #expect(name.tag == "v1")
        #expect(name.displayName == "127.0.0.1:5000/team/tutor:v1")
        #expect(try ModelName(parsing: "127.0.0.1:5000/team/tutor").tag == "latest")
        #expect(try ModelName(parsing: "me/mine:1").displayName == "me/mine:1")
    }

    @Test(arguments: [
        "", "../../etc/passwd", "a/../b", "..", "x:", ":tag", "a/b/c/d", "bad name", "a//b", ".hidden", "x:../y",
    ])
    func rejectsNamesThatCouldEscapeTheStore(_ text: String) {
        #expect(throws: ModelStoreError.self) { try ModelName(parsing: text) }
    }
}
