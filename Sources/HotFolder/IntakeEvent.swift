/// Per-folder intake rules, supplied by the daemon from the folder's recipe.
public struct FolderPolicy: Sendable, Equatable {
    /// How long size, mtime and ctime must stay unchanged before a file counts as complete.
    public var settle: Duration
    /// Whether an image without a sidecar fails (`missing sidecar`) instead of running with the recipe alone.
    public var sidecarRequired: Bool
    /// How long a settled image waits for its sidecar; when the sidecar is optional the image then runs without one.
    public var sidecarWait: Duration
    /// How long a settled sidecar waits for its image, and a job for the files its sidecar names.
    public var orphanTimeout: Duration

    public init(
        settle: Duration = .seconds(5),
        sidecarRequired: Bool = false,
        sidecarWait: Duration = .seconds(2),
        orphanTimeout: Duration = .seconds(300)
    ) {
        self.settle = settle
        self.sidecarRequired = sidecarRequired
        self.sidecarWait = sidecarWait
        self.orphanTimeout = orphanTimeout
    }
}

/// One image that has settled, with its sidecar and the files the sidecar names, ready to be claimed.
public struct JobCandidate: Sendable, Hashable {
    /// Absolute path of the inbox root.
    public var inbox: String
    /// Folder of the image relative to the inbox; "" for the inbox root.
    public var folder: String
    /// File name of the image inside `folder`.
    public var image: String
    /// File name of the sidecar inside `folder`, if there is one.
    public var sidecar: String?
    /// Inbox-relative paths of the files the sidecar names (mask, extra images).
    public var references: [String]
    /// The subset of `references` that another sidecar also names; a claim hard-links these instead of moving them.
    public var sharedReferences: Set<String>
    /// Size, mtime and inode of the image when it was offered.
    public var identity: FileIdentity
    /// The sniffed image format.
    public var format: ImageFormat

    public init(
        inbox: String,
        folder: String,
        image: String,
        sidecar: String?,
        references: [String],
        sharedReferences: Set<String>,
        identity: FileIdentity,
        format: ImageFormat
    ) {
        self.inbox = inbox
        self.folder = folder
        self.image = image
        self.sidecar = sidecar
        self.references = references
        self.sharedReferences = sharedReferences
        self.identity = identity
        self.format = format
    }

    /// Inbox-relative path of the image.
    public var imagePath: String { joinPath(folder, image) }
    /// Inbox-relative path of the sidecar.
    public var sidecarPath: String? { sidecar.map { joinPath(folder, $0) } }
}

/// The reason files in the inbox cannot become a job.
public enum RejectionReason: Sendable, Hashable, CustomStringConvertible {
    case neverStable(file: String, maxWait: Duration)
    case ambiguousSidecar(sidecar: String, images: [String])
    case ambiguousImage(image: String, sidecars: [String])
    case missingSidecar(image: String, waited: Duration)
    case missingImage(sidecar: String, waited: Duration)
    case missingReference(sidecar: String, missing: [String], waited: Duration)
    case notAnImage(file: String)
    case unreferencedMask(file: String, waited: Duration)
    case symbolicLink(file: String)
    case specialFile(file: String, kind: FileKind)

    /// A short, stable code for reports and metrics, such as `never-stable`.
    public var code: String {
        switch self {
        case .neverStable: "never-stable"
        case .ambiguousSidecar, .ambiguousImage: "ambiguous sidecar"
        case .missingSidecar: "missing sidecar"
        case .missingImage: "missing image"
        case .missingReference: "missing referenced file"
        case .notAnImage: "not an image"
        case .unreferencedMask: "mask without sidecar"
        case .symbolicLink: "symbolic link"
        case .specialFile: "special file"
        }
    }

    public var description: String {
        switch self {
        case .neverStable(let file, let maxWait):
            "never-stable: '\(file)' kept changing for \(seconds(maxWait)); finish writing it, then touch or drop it again"
        case .ambiguousSidecar(let sidecar, let images):
            "ambiguous sidecar: '\(sidecar)' matches \(quotedList(images)); "
                + "name the sidecar after one image with its extension, such as '\(images.first ?? "").yaml'"
        case .ambiguousImage(let image, let sidecars):
            "ambiguous sidecar: image '\(image)' matches sidecars \(quotedList(sidecars)); keep only one of them"
        case .missingSidecar(let image, let waited):
            "missing sidecar: no sidecar for '\(image)' arrived within \(seconds(waited)), and this folder requires one"
        case .missingImage(let sidecar, let waited):
            "missing image: no image for sidecar '\(sidecar)' arrived within \(seconds(waited))"
        case .missingReference(let sidecar, let missing, let waited):
            "missing referenced file: \(quotedList(missing)) named by '\(sidecar)' did not arrive "
                + "or settle within \(seconds(waited))"
        case .notAnImage(let file):
            "not an image: '\(file)' is neither an image (PNG, JPEG, WebP, HEIF, AVIF, GIF, TIFF, BMP), "
                + "a sidecar (.yaml, .yml) nor a file named by a sidecar"
        case .unreferencedMask(let file, let waited):
            "mask without sidecar: '\(file)' is named like a mask, but no sidecar named it within \(seconds(waited)); "
                + "drop the sidecar that names it, or rename the file if it is a photo to edit"
        case .symbolicLink(let file):
            "symbolic link: '\(file)' is a link, and links in the inbox are not followed; copy the file itself"
        case .specialFile(let file, let kind):
            "special file: '\(file)' is a \(kind), not a regular file; only regular image files become jobs, so remove it"
        }
    }
}

/// A report of the monitor about the inbox.
public enum IntakeEvent: Sendable, Hashable {
    /// A job is complete and may be claimed.
    case ready(JobCandidate)
    /// These inbox-relative files cannot become a job; the daemon moves them to the failed folder.
    case rejected(files: [String], reason: RejectionReason)
}

func seconds(_ duration: Duration) -> String {
    let value = Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
    return value == value.rounded() ? "\(Int(value)) s" : "\(value) s"
}

func quotedList(_ items: [String]) -> String {
    let quoted = items.map { "'\($0)'" }
    guard quoted.count > 1, let last = quoted.last else { return quoted.first ?? "" }
    return quoted.dropLast().joined(separator: ", ") + " and " + last
}
