/// Decisions for one folder, made from the snapshot that `observe(folder:now:)` took.
extension IntakeTracker {
    /// Returns the events a folder produces now. An event already announced is repeated only after `reofferBackoff`.
    mutating func decide(folder: String, now: ContinuousClock.Instant) -> [IntakeEvent] {
        guard let state = folders[folder] else { return [] }
        var decision = FolderDecision(folder: folder, policy: policy(folder), now: now, referenced: referencedPaths())
        decideSpecialAndUnstable(state: state, decision: &decision)
        decideSidecars(state: state, decision: &decision)
        decideLoneFiles(state: state, decision: &decision)
        return announce(decision.proposals, folder: folder, now: now)
    }

    struct FolderDecision {
        let folder: String
        let policy: FolderPolicy
        let now: ContinuousClock.Instant
        /// Inbox-relative paths named by sidecars, with how many sidecars name each.
        let referenced: [String: Int]
        var proposals: [AnnouncementKey] = []
        /// Names already decided, or waiting for a partner, so the lone-file pass leaves them alone.
        var handled: Set<String> = []

        mutating func propose(_ event: IntakeEvent, identities: [FileIdentity] = []) {
            proposals.append(AnnouncementKey(event: event, identities: identities))
        }

        func path(_ name: String) -> String { joinPath(folder, name) }
    }

    func decideSpecialAndUnstable(state: FolderState, decision: inout FolderDecision) {
        for (name, file) in state.files.sorted(by: { $0.key < $1.key }) {
            let path = decision.path(name)
            switch file.status.kind {
            case .regular:
                let settled = isSettled(file, policy: decision.policy, now: decision.now)
                if !settled && decision.now >= file.firstSeen.advanced(by: maxWait) {
                    decision.propose(.rejected(files: [path], reason: .neverStable(file: path, maxWait: maxWait)))
                    decision.handled.insert(name)
                }
            case .symbolicLink:
                rejectUnreadable(name, file: file, reason: .symbolicLink(file: path), state: state, decision: &decision)
            default:
                let reason = RejectionReason.specialFile(file: path, kind: file.status.kind)
                rejectUnreadable(name, file: file, reason: reason, state: state, decision: &decision)
            }
        }
    }

    /// Rejects a link or special file. When its name is a sidecar's, the images it pairs with go with
    /// it: running them without the instruction the user wrote would report a success that ignored it.
    /// The sidecar waits, as a regular one would, until its images have settled, or for `sidecarWait`
    /// when none has arrived, so an image copied in just after it is not run alone.
    func rejectUnreadable(
        _ name: String,
        file: TrackedFile,
        reason: RejectionReason,
        state: FolderState,
        decision: inout FolderDecision
    ) {
        decision.handled.insert(name)
        guard let base = sidecarBase(name) else {
            decision.propose(.rejected(files: [decision.path(name)], reason: reason))
            return
        }
        let partners = state.files.keys.filter { other in
            other != name && sidecarBase(other) == nil && state.files[other]?.status.kind == .regular
                && pairingKeys(other).contains(base)
        }.sorted()
        decision.handled.formUnion(partners)
        let settled = partners.allSatisfy { partner in
            guard let partnerFile = state.files[partner] else { return true }
            return isSettled(partnerFile, policy: decision.policy, now: decision.now)
        }
        let waitedAlone = partners.isEmpty && decision.now >= file.firstSeen.advanced(by: decision.policy.sidecarWait)
        guard (!partners.isEmpty && settled) || waitedAlone else { return }
        decision.propose(.rejected(files: [decision.path(name)] + partners.map(decision.path), reason: reason))
    }

    /// Pairs every sidecar in the folder with its image.
    func decideSidecars(state: FolderState, decision: inout FolderDecision) {
        let referenced = decision.referenced
        let sidecars = state.files.keys.filter { sidecarBase($0) != nil && state.files[$0]?.status.kind == .regular }
        let imageNames = state.files.keys.filter {
            sidecarBase($0) == nil && !referenced.keys.contains(decision.path($0))
        }
        let imagesByBase = index(imageNames, keys: pairingKeys)
        let sidecarsByBase = index(sidecars) { sidecarBase($0).map { [$0] } ?? [] }

        for sidecarName in sidecars.sorted() {
            guard let base = sidecarBase(sidecarName), let sidecarFile = state.files[sidecarName] else { continue }
            decision.handled.insert(sidecarName)
            let matched = (imagesByBase[base] ?? []).sorted()
            let waiting = matched.filter { name in
                guard let file = state.files[name] else { return false }
                return !isSettled(file, policy: decision.policy, now: decision.now)
            }
            let images = matched.filter { state.files[$0]?.sniffed?.format != nil && !waiting.contains($0) }
            decision.handled.formUnion(waiting)
            decision.handled.formUnion(images)
            guard isSettled(sidecarFile, policy: decision.policy, now: decision.now), waiting.isEmpty else { continue }

            if images.count >= 2 {
                let files = [decision.path(sidecarName)] + images.map(decision.path)
                let reason = RejectionReason.ambiguousSidecar(
                    sidecar: decision.path(sidecarName),
                    images: images.map(decision.path)
                )
                decision.propose(.rejected(files: files, reason: reason))
            } else if let image = images.first {
                let rivals = Set(pairingKeys(image).flatMap { sidecarsByBase[$0] ?? [] }).sorted()
                decidePair(image: image, sidecar: sidecarName, rivals: rivals, state: state, decision: &decision)
            } else if decision.now
                >= settledAt(sidecarFile, policy: decision.policy).advanced(by: decision.policy.orphanTimeout)
            {
                let path = decision.path(sidecarName)
                let reason = RejectionReason.missingImage(sidecar: path, waited: decision.policy.orphanTimeout)
                decision.propose(.rejected(files: [path], reason: reason), identities: [sidecarFile.status.identity])
            }
        }
    }

    /// Decides one image with the single sidecar that names it; `rivals` are all sidecars that name the image.
    func decidePair(
        image: String,
        sidecar sidecarName: String,
        rivals: [String],
        state: FolderState,
        decision: inout FolderDecision
    ) {
        guard rivals.count == 1 else {
            let allSettled = rivals.allSatisfy { name in
                state.files[name].map { isSettled($0, policy: decision.policy, now: decision.now) } ?? false
            }
            guard rivals.first == sidecarName, allSettled else { return }
            let files = [decision.path(image)] + rivals.map(decision.path)
            let reason = RejectionReason.ambiguousImage(
                image: decision.path(image),
                sidecars: rivals.map(decision.path)
            )
            decision.propose(.rejected(files: files, reason: reason))
            return
        }
        decideReferences(image: image, sidecar: sidecarName, state: state, decision: &decision)
    }

    /// Groups `names` by every key that `keys` returns for them.
    func index(_ names: [String], keys: (String) -> [String]) -> [String: [String]] {
        var result: [String: [String]] = [:]
        for name in names {
            for key in keys(name) { result[key, default: []].append(name) }
        }
        return result
    }

    /// Makes the job ready once every file its sidecar names has arrived and settled.
    func decideReferences(
        image: String,
        sidecar sidecarName: String,
        state: FolderState,
        decision: inout FolderDecision
    ) {
        guard let imageFile = state.files[image], let sidecarFile = state.files[sidecarName],
            let format = imageFile.sniffed?.format
        else { return }
        let sidecarPath = decision.path(sidecarName)
        let paths = sidecarReferences[sidecarPath]?.paths ?? []
        let missing = paths.filter { !isSettledReference($0, now: decision.now) }

        guard missing.isEmpty else {
            let deadline = settledAt(sidecarFile, policy: decision.policy).advanced(by: decision.policy.orphanTimeout)
            guard decision.now >= deadline else { return }
            let reason = RejectionReason.missingReference(
                sidecar: sidecarPath,
                missing: missing,
                waited: decision.policy.orphanTimeout
            )
            decision.propose(.rejected(files: [decision.path(image), sidecarPath], reason: reason))
            return
        }

        let counts = decision.referenced
        let candidate = JobCandidate(
            inbox: inbox,
            folder: decision.folder,
            image: image,
            sidecar: sidecarName,
            references: paths,
            sharedReferences: Set(paths.filter { (counts[$0] ?? 0) > 1 }),
            identity: imageFile.status.identity,
            format: format
        )
        let identities = [imageFile.status.identity, sidecarFile.status.identity] + paths.compactMap(identity(of:))
        decision.propose(.ready(candidate), identities: identities)
    }

    /// Whether a file name marks a mask: `x.mask.png`, `x-mask.png` or `x_mask.png`, in any case.
    static func looksLikeMask(_ name: String) -> Bool {
        let lowered = name.lowercased()
        guard let dot = lowered.lastIndex(of: ".") else { return false }
        let stem = lowered[..<dot]
        return stem.hasSuffix(".mask") || stem.hasSuffix("-mask") || stem.hasSuffix("_mask")
    }

    /// Decides images without a sidecar and files that are neither images nor sidecars.
    func decideLoneFiles(state: FolderState, decision: inout FolderDecision) {
        let referenced = decision.referenced
        for (name, file) in state.files.sorted(by: { $0.key < $1.key }) {
            let path = decision.path(name)
            guard !decision.handled.contains(name), !referenced.keys.contains(path),
                isSettled(file, policy: decision.policy, now: decision.now), let sniffed = file.sniffed
            else { continue }
            guard !isLeftoverReference(path, identity: file.status.identity) else { continue }

            guard let format = sniffed.format else {
                decision.propose(
                    .rejected(files: [path], reason: .notAnImage(file: path)),
                    identities: [sniffed.identity]
                )
                continue
            }
            // A file named like a mask (`photo.mask.png`) waits as long as a sidecar's files do, so a mask
            // copied before its sidecar is not taken for a photo.
            // NOTE: any other mask that settles more than `sidecarWait` before the sidecar naming it arrives
            // becomes a job of its own. Writers should drop the sidecar first or together with its mask.
            let looksLikeMask = Self.looksLikeMask(name)
            let wait = looksLikeMask ? decision.policy.orphanTimeout : decision.policy.sidecarWait
            let deadline = settledAt(file, policy: decision.policy).advanced(by: wait)
            guard decision.now >= deadline else { continue }
            if looksLikeMask {
                let reason = RejectionReason.unreferencedMask(file: path, waited: wait)
                decision.propose(.rejected(files: [path], reason: reason), identities: [file.status.identity])
            } else if decision.policy.sidecarRequired {
                let reason = RejectionReason.missingSidecar(image: path, waited: decision.policy.sidecarWait)
                decision.propose(.rejected(files: [path], reason: reason), identities: [file.status.identity])
            } else {
                let candidate = JobCandidate(
                    inbox: inbox,
                    folder: decision.folder,
                    image: name,
                    sidecar: nil,
                    references: [],
                    sharedReferences: [],
                    identity: file.status.identity,
                    format: format
                )
                decision.propose(.ready(candidate), identities: [file.status.identity])
            }
        }
    }

    /// Inbox-relative paths named by the sidecars currently present, with how many sidecars name each.
    func referencedPaths() -> [String: Int] {
        var counts: [String: Int] = [:]
        for entry in sidecarReferences.values {
            for path in Set(entry.paths ?? []) { counts[path, default: 0] += 1 }
        }
        return counts
    }

    /// True when a sidecar once named this exact file but none does now: a shared mask that every job hard-linked.
    /// Such a file stays in the inbox untouched, because turning it into a job of its own would be a surprise.
    func isLeftoverReference(_ path: String, identity: FileIdentity) -> Bool {
        formerReferences[path] == identity
    }

    func trackedFile(_ path: String) -> TrackedFile? {
        let (folder, name) = splitPath(path)
        return folders[folder]?.files[name]
    }

    func identity(of path: String) -> FileIdentity? { trackedFile(path)?.status.identity }

    func isSettledReference(_ path: String, now: ContinuousClock.Instant) -> Bool {
        guard let file = trackedFile(path), file.status.kind == .regular else { return false }
        return isSettled(file, policy: policy(splitPath(path).folder), now: now)
    }

    /// Emits proposals that are new or whose back-off has passed, and drops announcements no longer proposed.
    mutating func announce(
        _ proposals: [AnnouncementKey],
        folder: String,
        now: ContinuousClock.Instant
    ) -> [IntakeEvent] {
        guard var state = folders[folder] else { return [] }
        var next: [AnnouncementKey: ContinuousClock.Instant] = [:]
        var events: [IntakeEvent] = []
        for key in proposals {
            if let previous = state.announced[key], now < previous.advanced(by: reofferBackoff) {
                next[key] = previous
                continue
            }
            next[key] = now
            events.append(key.event)
            rememberReferences(of: key.event)
        }
        state.announced = next
        folders[folder] = state
        return events
    }

    mutating func rememberReferences(of event: IntakeEvent) {
        guard case .ready(let candidate) = event else { return }
        for path in candidate.references {
            if let identity = identity(of: path) { formerReferences[path] = identity }
        }
    }
}
