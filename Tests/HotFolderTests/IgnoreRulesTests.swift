import Testing

@testable import HotFolder

struct IgnoreCase: CustomTestStringConvertible, Sendable {
    var path: String
    var isFolder: Bool
    var ignored: Bool
    var testDescription: String { "\(path)\(isFolder ? "/" : "")" }
}

struct IgnoreRulesTests {
    static let cases: [IgnoreCase] = [
        IgnoreCase(path: "IMG_0001.jpg.filepart", isFolder: false, ignored: true),
        IgnoreCase(path: "upload.part", isFolder: false, ignored: true),
        IgnoreCase(path: "upload.partial", isFolder: false, ignored: true),
        IgnoreCase(path: "photo.jpg.crdownload", isFolder: false, ignored: true),
        IgnoreCase(path: "photo.jpg.download", isFolder: false, ignored: true),
        IgnoreCase(path: "sed.TMP", isFolder: false, ignored: true),
        IgnoreCase(path: ".IMG_0007.yaml.swp", isFolder: false, ignored: true),
        IgnoreCase(path: "._IMG_0001.jpg", isFolder: false, ignored: true),
        IgnoreCase(path: ".DS_Store", isFolder: false, ignored: true),
        IgnoreCase(path: "~$report.docx", isFolder: false, ignored: true),
        IgnoreCase(path: "photo.yaml~", isFolder: false, ignored: true),
        IgnoreCase(path: "thumbs.db", isFolder: false, ignored: true),
        IgnoreCase(path: "Desktop.ini", isFolder: false, ignored: true),
        IgnoreCase(path: "team/kontextd.recipe.yaml", isFolder: false, ignored: true),
        IgnoreCase(path: "kontextd.recipe.yml", isFolder: false, ignored: true),
        IgnoreCase(path: "@eaDir", isFolder: true, ignored: true),
        IgnoreCase(path: "#recycle", isFolder: true, ignored: true),
        IgnoreCase(path: ".Trash-1000", isFolder: true, ignored: true),
        IgnoreCase(path: "lost+found", isFolder: true, ignored: true),
        IgnoreCase(path: "@eaDir", isFolder: false, ignored: false),
        IgnoreCase(path: "IMG_0001.jpg", isFolder: false, ignored: false),
        IgnoreCase(path: "IMG_0001.yaml", isFolder: false, ignored: false),
        IgnoreCase(path: "team/photo.jpg.yaml", isFolder: false, ignored: false),
        IgnoreCase(path: "team", isFolder: true, ignored: false),
    ]

    @Test(arguments: cases)
    func defaultRules(_ testCase: IgnoreCase) {
        let rules = IgnoreRules()

        #expect(rules.ignores(testCase.path, isFolder: testCase.isFolder) == testCase.ignored)
    }

    @Test func extraPatterns() {
        let rules = IgnoreRules(extraPatterns: ["*.bak", "archive/*.jpg", "scratch/"])

        #expect(rules.ignores("a/photo.bak", isFolder: false))
        #expect(rules.ignores("archive/old.jpg", isFolder: false))
        #expect(!rules.ignores("team/archive/old.jpg", isFolder: false))
        #expect(rules.ignores("team/scratch", isFolder: true))
        #expect(!rules.ignores("scratch", isFolder: false))
        #expect(!rules.ignores("photo.BAK", isFolder: false))
    }

    @Test func ignoredParentFolder() {
        let rules = IgnoreRules()

        #expect(rules.ignoresAnyComponent(of: "@eaDir/photo.jpg/SYNOPHOTO_THUMB_M.jpg", isFolder: false))
        #expect(!rules.ignoresAnyComponent(of: "team/photo.jpg", isFolder: false))
    }
}
