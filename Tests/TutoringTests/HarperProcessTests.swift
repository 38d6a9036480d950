import Foundation
import Testing

@testable import Tutoring

/// Issue 19 (low): a hung `harper-cli` is killed after its timeout, and its temporary folder is
/// readable by its owner only.
@Suite struct HarperProcessTests {
    @Test func aHungHarperIsKilledAfterItsTimeout() throws {
        let folder = NSTemporaryDirectory() + "cakap-harper-test-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        // Records its input folder's mode, then hangs as a stuck harper-cli would.
        let script = folder + "/harper-cli"
        try Data(
            "#!/bin/sh\nfor a in \"$@\"; do last=$a; done\nstat -c %a \"$(dirname \"$last\")\" > \(folder)/mode\nsleep 60\n"
                .utf8
        )
        .write(to: URL(fileURLWithPath: script))
        try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: script)
        let harper = HarperProcess(executable: script, timeout: .milliseconds(500))
        let clock = ContinuousClock()
        let started = clock.now
        #expect(throws: HarperProcess.Failure.self) { try harper.lint(["I goes home."]) }
        #expect(clock.now - started < .seconds(10))
        let mode = try String(contentsOfFile: folder + "/mode", encoding: .utf8)
        #expect(mode.trimmingCharacters(in: .whitespacesAndNewlines) == "700")
    }

    /// Issue 18: Harper's `LongSentences` lint covered a whole long sentence and Harper dropped every
    /// lint overlapping it, so a misspelling there went unmarked; the tutor runs Harper without it.
    @Test func harperRunsWithoutTheRuleThatHidLongSentencesFindings() throws {
        let folder = NSTemporaryDirectory() + "cakap-harper-test-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let script = folder + "/harper-cli"
        try Data("#!/bin/sh\necho \"$@\" > \(folder)/arguments\nprintf '[]'\n".utf8)
            .write(to: URL(fileURLWithPath: script))
        try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: script)
        #expect(try HarperProcess(executable: script).lint(["I preffer tea."]) == [[]])
        let arguments = try String(contentsOfFile: folder + "/arguments", encoding: .utf8)
        #expect(arguments.contains("--ignore LongSentences"))
        _ = try HarperProcess(executable: script, ignoredRules: []).lint(["I preffer tea."])
        #expect(try !String(contentsOfFile: folder + "/arguments", encoding: .utf8).contains("--ignore"))
    }
}
