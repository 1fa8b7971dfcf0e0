import Testing

@testable import Recipes

struct SidecarPathsTests {
    /// Creates an inbox at `<tmp>/inbox` with a job folder `jobs/a`, and a secret file outside the inbox.
    private func makeInbox() throws -> (TemporaryDirectory, inbox: String, jobs: String) {
        let directory = try TemporaryDirectory()
        try directory.write("inbox/jobs/a/mask.png", "mask")
        try directory.write("inbox/shared/logo.png", "logo")
        try directory.write("secret/shadow", "secret")
        return (directory, directory.path + "/inbox", directory.path + "/inbox/jobs/a")
    }

    @Test func plainRelativePathResolves() throws {
        let (directory, inbox, jobs) = try makeInbox()
        defer { directory.remove() }

        let resolved = try SidecarPaths.resolve("mask.png", sidecarDirectory: jobs, inboxRoot: inbox)

        #expect(resolved == jobs + "/mask.png")
    }

    @Test func dotDotInsideInboxResolves() throws {
        let (directory, inbox, jobs) = try makeInbox()
        defer { directory.remove() }

        let resolved = try SidecarPaths.resolve("../../shared/./logo.png", sidecarDirectory: jobs, inboxRoot: inbox)

        #expect(resolved == inbox + "/shared/logo.png")
    }

    @Test func missingFileResolvesAsWritten() throws {
        let (directory, inbox, jobs) = try makeInbox()
        defer { directory.remove() }

        let resolved = try SidecarPaths.resolve("later/mask.png", sidecarDirectory: jobs, inboxRoot: inbox)

        #expect(resolved == jobs + "/later/mask.png")
    }

    @Test func absolutePathIsRejected() throws {
        let (directory, inbox, jobs) = try makeInbox()
        defer { directory.remove() }

        #expect(throws: RecipesError.absolutePath("/etc/shadow")) {
            try SidecarPaths.resolve("/etc/shadow", sidecarDirectory: jobs, inboxRoot: inbox)
        }
        #expect(
            RecipesError.absolutePath("/etc/shadow").description
                == "path '/etc/shadow' is absolute; write it relative to the sidecar's folder"
        )
    }

    @Test func emptyPathIsRejected() throws {
        let (directory, inbox, jobs) = try makeInbox()
        defer { directory.remove() }

        #expect(throws: RecipesError.emptyPath) {
            try SidecarPaths.resolve("", sidecarDirectory: jobs, inboxRoot: inbox)
        }
    }

    @Test func dotDotEscapeIsRejected() throws {
        let (directory, inbox, jobs) = try makeInbox()
        defer { directory.remove() }
        let expected = RecipesError.escapesInbox("../../../secret/shadow", inbox: inbox)

        #expect(throws: expected) {
            try SidecarPaths.resolve("../../../secret/shadow", sidecarDirectory: jobs, inboxRoot: inbox)
        }
        #expect(
            expected.description
                == "path '../../../secret/shadow' leads outside the inbox '\(inbox)'; keep referenced files inside the inbox"
        )
    }

    @Test func symlinkedFileOutsideIsRejected() throws {
        let (directory, inbox, jobs) = try makeInbox()
        defer { directory.remove() }
        try directory.link("inbox/jobs/a/evil.png", to: directory.path + "/secret/shadow")

        #expect(
            throws: RecipesError.symlinkEscapesInbox(
                "evil.png",
                link: jobs + "/evil.png",
                target: directory.path + "/secret/shadow"
            )
        ) {
            try SidecarPaths.resolve("evil.png", sidecarDirectory: jobs, inboxRoot: inbox)
        }
    }

    @Test func symlinkedFolderOutsideIsRejected() throws {
        let (directory, inbox, jobs) = try makeInbox()
        defer { directory.remove() }
        try directory.link("inbox/jobs/a/up", to: "../../../secret")
        let expected = RecipesError.symlinkEscapesInbox("up/shadow", link: jobs + "/up", target: "../../../secret")

        #expect(throws: expected) {
            try SidecarPaths.resolve("up/shadow", sidecarDirectory: jobs, inboxRoot: inbox)
        }
        #expect(
            expected.description
                == "path 'up/shadow' goes through the symbolic link '\(jobs)/up' to '../../../secret', outside the inbox; "
                + "copy the file into the inbox instead"
        )
    }

    @Test func symlinkToMissingOutsideIsRejected() throws {
        let (directory, inbox, jobs) = try makeInbox()
        defer { directory.remove() }
        try directory.link("inbox/jobs/a/later.png", to: "/nonexistent/kontextd/later.png")

        #expect(
            throws: RecipesError.symlinkEscapesInbox(
                "later.png",
                link: jobs + "/later.png",
                target: "/nonexistent/kontextd/later.png"
            )
        ) {
            try SidecarPaths.resolve("later.png", sidecarDirectory: jobs, inboxRoot: inbox)
        }
    }

    @Test func symlinkInsideInboxIsFollowed() throws {
        let (directory, inbox, jobs) = try makeInbox()
        defer { directory.remove() }
        try directory.link("inbox/jobs/a/logo.png", to: "../../shared/logo.png")

        let resolved = try SidecarPaths.resolve("logo.png", sidecarDirectory: jobs, inboxRoot: inbox)

        #expect(resolved == inbox + "/shared/logo.png")
    }

    @Test func dotDotAfterSymlinkFollowsPhysicalParent() throws {
        let (directory, inbox, jobs) = try makeInbox()
        defer { directory.remove() }
        // `deep/..` is the link target's parent, outside the inbox, as the kernel resolves it.
        try directory.link("inbox/jobs/a/deep", to: directory.path + "/secret")

        #expect(
            throws: RecipesError.symlinkEscapesInbox(
                "deep/../secret/shadow",
                link: jobs + "/deep",
                target: directory.path + "/secret"
            )
        ) {
            try SidecarPaths.resolve("deep/../secret/shadow", sidecarDirectory: jobs, inboxRoot: inbox)
        }
    }

    @Test func symlinkLoopIsRejected() throws {
        let (directory, inbox, jobs) = try makeInbox()
        defer { directory.remove() }
        try directory.link("inbox/jobs/a/loop1", to: "loop2")
        try directory.link("inbox/jobs/a/loop2", to: "loop1")

        #expect(throws: RecipesError.symlinkLoop("loop1/mask.png")) {
            try SidecarPaths.resolve("loop1/mask.png", sidecarDirectory: jobs, inboxRoot: inbox)
        }
    }

    @Test func symlinkedInboxRootIsAccepted() throws {
        let (directory, inbox, _) = try makeInbox()
        defer { directory.remove() }
        try directory.link("inbox-link", to: inbox)
        let linkedJobs = directory.path + "/inbox-link/jobs/a"

        let resolved = try SidecarPaths.resolve(
            "mask.png",
            sidecarDirectory: linkedJobs,
            inboxRoot: directory.path + "/inbox-link"
        )

        #expect(resolved == inbox + "/jobs/a/mask.png")
    }

    @Test func sidecarOutsideInboxIsRejected() throws {
        let (directory, inbox, _) = try makeInbox()
        defer { directory.remove() }
        let outside = directory.path + "/secret"

        #expect(throws: RecipesError.outsideInbox(outside, inbox: inbox)) {
            try SidecarPaths.resolve("shadow", sidecarDirectory: outside, inboxRoot: inbox)
        }
    }

    @Test func parserReportsEscapeWithPosition() throws {
        let (directory, inbox, jobs) = try makeInbox()
        defer { directory.remove() }
        let parser = InstructionParser(location: SidecarLocation(directory: jobs, inboxRoot: inbox))

        #expect(
            throws: RecipesError.invalid([
                Diagnostic(
                    file: "photo.yaml",
                    position: SourcePosition(line: 2, column: 9),
                    message: "invalid 'mask.file': path '../../../secret/shadow' leads outside the inbox '\(inbox)'; "
                        + "keep referenced files inside the inbox"
                )
            ])
        ) {
            try parser.parse(Array("mask:\n  file: ../../../secret/shadow\n".utf8), fileName: "photo.yaml")
        }
    }
}
