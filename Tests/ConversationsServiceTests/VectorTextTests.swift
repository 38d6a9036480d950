import Foundation
import Testing

@testable import ConversationsService

/// Our pgvector text encoding (postgres-nio has no vector type).
@Suite struct VectorTextTests {
    @Test func floatsSurviveTheRoundTripExactly() {
        let vector: [Float] = [
            0, -1.5, .greatestFiniteMagnitude, .leastNormalMagnitude, 0.1, -0.33333334, .leastNonzeroMagnitude,
        ]
        #expect(VectorText.parse(VectorText.format(vector)) == vector)
        #expect(VectorText.format([1, 2.5]) == "[1.0,2.5]")
    }

    @Test func pgvectorOutputParsesAndGarbageDoesNot() {
        #expect(VectorText.parse("[1,2.5,-3e-05]") == [1, 2.5, -3e-05])
        #expect(VectorText.parse("[]") == [])
        #expect(VectorText.parse("1,2") == nil)
        #expect(VectorText.parse("[1,,2]") == nil)
        #expect(VectorText.parse("[1,x]") == nil)
    }

    @Test func databaseSettingsComeFromTheEnvironment() throws {
        #expect(try DatabaseSettings.fromEnvironment([:]) == nil)
        let settings = try #require(
            try DatabaseSettings.fromEnvironment([
                "DB_HOST": "db.internal", "DB_PORT": "6543", "DB_USER": "app", "DB_PASSWORD": "pw", "DB_NAME": "cakap",
                "DB_SSLMODE": "require",
            ]))
        #expect(settings.host == "db.internal" && settings.port == 6543 && settings.database == "cakap")
        #expect(settings.sslMode == .require)
        #expect(throws: ConfigurationError.self) {
            try DatabaseSettings.fromEnvironment(["DB_HOST": "h", "DB_USER": "u", "DB_PORT": "x"])
        }
        #expect(throws: ConfigurationError.self) {
            try DatabaseSettings.fromEnvironment(["DB_HOST": "h", "DB_USER": "u", "DB_SSLMODE": "verify-full"])
        }
        #expect(throws: ConfigurationError.self) { try DatabaseSettings.fromEnvironment(["DB_HOST": "h"]) }
    }
}
