internal import Dispatch
internal import Imaging
internal import Synchronization

/// A backend that removes the masked region with a classical content-aware fill, with no model and no
/// server, so a fresh installation can still perform a real edit.
///
/// The fill copies texture from the known part of the image into the masked region (multi-scale
/// PatchMatch search with patch voting, see `PatchMatchFill`):
/// - Mask values of 128 and above mark unknown pixels, which are never copied from. Every pixel with a
///   non-zero mask value is synthesised and blended with the original by its mask value / 255, so a
///   feathered edge stays smooth, and pixels with mask 0 come back byte for byte.
/// - Every layout works. Alpha is filled like a colour channel from the same matches, but patch distances
///   compare only the colour channels.
/// - The output has the input's size; `outputWidth` and `outputHeight` are left to the pipeline, which
///   resizes every backend's result. `steps` and `guidance` have no meaning here and are ignored.
/// - One seed gives the same output on every run, whatever the number of cores.
///
/// NOTE: Voting weights use the C library's `exp`, so another libm could change a few output pixels for
/// the same seed. Memory use is roughly 70 bytes per pixel for RGB (an estimate from the buffer sizes,
/// pyramid included), which is why the pipeline should send a crop around the mask, not a whole photo.
public struct BuiltinFillBackend: EditBackend {
    public let name: String

    public var capabilities: BackendCapabilities { .maskedFill }

    public init(name: String = "fill") {
        self.name = name
    }

    /// Fills the masked region of `request.image`.
    ///
    /// The work runs on a Dispatch queue, off the Swift concurrency pool, and stops between iterations
    /// when the calling task is cancelled.
    public func edit(_ request: EditRequest) async throws(BackendError) -> EditResult {
        let mask = try validatedMask(of: request)
        let outcome = await runFill(image: request.image, mask: mask, seed: request.seed)
        switch outcome {
        case .success(let image):
            return EditResult(image: image, server: "built-in fill")
        case .failure(.noSourcePatch):
            throw .permanent(noSourcePatchMessage(width: mask.width, height: mask.height))
        case .failure(.cancelled):
            throw .transient(
                "The built-in fill for job '\(request.jobID)' was cancelled before it finished; the job can run again."
            )
        }
    }

    private func runFill(image: Image, mask: Mask, seed: UInt64) async -> Result<Image, PatchMatchFillError> {
        let flag = CancellationFlag()
        return await withTaskCancellationHandler {
            await withCheckedContinuation { continuation in
                DispatchQueue.global(qos: .userInitiated).async {
                    let fill = PatchMatchFill(seed: seed, isCancelled: { flag.isSet })
                    let result = Result { () throws(PatchMatchFillError) -> Image in
                        try fill.fill(image: image, mask: mask)
                    }
                    continuation.resume(returning: result)
                }
            }
        } onCancel: {
            flag.set()
        }
    }
}

/// A flag that the cancellation handler of a task sets and the fill thread polls.
private final class CancellationFlag: Sendable {
    private let value = Atomic<Bool>(false)

    var isSet: Bool { value.load(ordering: .relaxed) }

    func set() {
        value.store(true, ordering: .relaxed)
    }
}
