import Backends
import Imaging
import Testing

/// A request that the fill must reject, and the exact error it must raise.
struct RejectedRequestCase: CustomTestStringConvertible, Sendable {
    let name: String
    let request: EditRequest
    let expected: BackendError

    var testDescription: String { name }

    private static func makeImage(width: Int = 32, height: Int = 24) -> Image {
        var pixels = [UInt8](repeating: 0, count: width * height * 3)
        for index in pixels.indices { pixels[index] = UInt8(truncatingIfNeeded: index * 7) }
        return Image(width: width, height: height, layout: .rgb, pixels: pixels)
    }

    private static func makeMask(width: Int = 32, height: Int = 24, value: (Int, Int) -> UInt8) -> Mask {
        var values = [UInt8](repeating: 0, count: width * height)
        for y in 0..<height {
            for x in 0..<width { values[y * width + x] = value(x, y) }
        }
        return Mask(width: width, height: height, values: values)
    }

    private static let smallHole = makeMask { x, y in (10..<14).contains(x) && (8..<12).contains(y) ? 255 : 0 }

    static let all: [RejectedRequestCase] = [
        RejectedRequestCase(
            name: "short prompt",
            request: FillFixtures.request(image: makeImage(), mask: smallHole, prompt: "remove the kite"),
            expected: .permanent(
                "The built-in fill backend 'fill' cannot follow a prompt, but the request has the prompt "
                    + "'remove the kite'. Remove 'prompt:' for a plain removal of the masked region, or choose a "
                    + "generative backend with 'backend:'."
            )
        ),
        RejectedRequestCase(
            name: "long prompt quoted to 60 characters",
            request: FillFixtures.request(
                image: makeImage(),
                mask: smallHole,
                prompt: "Replace the background with a winter landscape, keep the bunny in the same pose"
            ),
            expected: .permanent(
                "The built-in fill backend 'fill' cannot follow a prompt, but the request has the prompt "
                    + "'Replace the background with a winter landscape, keep the bun…'. Remove 'prompt:' for a "
                    + "plain removal of the masked region, or choose a generative backend with 'backend:'."
            )
        ),
        RejectedRequestCase(
            name: "missing mask",
            request: FillFixtures.request(image: makeImage(), mask: nil),
            expected: .permanent(
                "The built-in fill backend 'fill' needs a mask, but the request has none. "
                    + "Add 'mask:' (a mask image, 'alpha' or shapes) to mark the region to fill."
            )
        ),
        RejectedRequestCase(
            name: "mask of another size",
            request: FillFixtures.request(image: makeImage(), mask: Mask(width: 16, height: 12, filledWith: 255)),
            expected: .permanent("The mask is 16x12 but the image is 32x24. Give a mask of the image's size.")
        ),
        RejectedRequestCase(
            name: "all-zero mask",
            request: FillFixtures.request(image: makeImage(), mask: Mask(width: 32, height: 24, filledWith: 0)),
            expected: .permanent(
                "The mask selects no pixel (every value is 0), so the built-in fill backend 'fill' has nothing "
                    + "to fill. Check 'mask:' (white marks the region to edit) and its 'invert' setting."
            )
        ),
        RejectedRequestCase(
            name: "all-masked image",
            request: FillFixtures.request(image: makeImage(), mask: Mask(width: 32, height: 24, filledWith: 255)),
            expected: allMaskedError
        ),
        RejectedRequestCase(
            name: "mask of 128 everywhere",
            request: FillFixtures.request(image: makeImage(), mask: Mask(width: 32, height: 24, filledWith: 128)),
            expected: allMaskedError
        ),
        RejectedRequestCase(
            name: "known border too thin for a patch",
            request: FillFixtures.request(
                image: makeImage(),
                mask: makeMask { x, y in (6..<26).contains(x) && (6..<18).contains(y) ? 255 : 0 }
            ),
            expected: noPatchError(width: 32, height: 24)
        ),
        RejectedRequestCase(
            name: "image smaller than a patch",
            request: FillFixtures.request(
                image: makeImage(width: 6, height: 5),
                mask: makeMask(width: 6, height: 5) { x, y in x == 2 && y == 2 ? 255 : 0 }
            ),
            expected: noPatchError(width: 6, height: 5)
        ),
    ]

    private static let allMaskedError = BackendError.permanent(
        "The mask covers every pixel with a value of 128 or more, so the built-in fill backend 'fill' has no "
            + "known pixel to copy from. Shrink the mask, or choose a generative backend with 'backend:'."
    )

    private static func noPatchError(width: Int, height: Int) -> BackendError {
        .permanent(
            "The built-in fill backend 'fill' needs at least one 7x7 block of known pixels (mask below 128) to "
                + "copy from, but the mask leaves none in this \(width)x\(height) image. Shrink the mask, add "
                + "context around it with 'inpaint:', or choose a generative backend with 'backend:'."
        )
    }
}

struct BuiltinFillErrorTests {
    @Test(arguments: RejectedRequestCase.all)
    func rejectsRequest(_ rejected: RejectedRequestCase) async {
        let backend = BuiltinFillBackend()

        await #expect(throws: rejected.expected) {
            try await backend.edit(rejected.request)
        }
    }

    @Test func promptErrorNamesConfiguredBackend() async {
        let backend = BuiltinFillBackend(name: "cleanup")
        let image = Image(width: 8, height: 8, layout: .rgb)
        let request = FillFixtures.request(image: image, mask: nil, prompt: "sky")

        await #expect(
            throws: BackendError.permanent(
                "The built-in fill backend 'cleanup' cannot follow a prompt, but the request has the prompt 'sky'. "
                    + "Remove 'prompt:' for a plain removal of the masked region, or choose a generative backend "
                    + "with 'backend:'."
            )
        ) {
            try await backend.edit(request)
        }
    }

    @Test func whitespacePromptCountsAsNone() async throws {
        let image = try FillFixtures.photo("moss")
        let mask = FillFixtures.Shape.rect.mask(width: image.width, height: image.height)

        let result = try await BuiltinFillBackend().edit(FillFixtures.request(image: image, mask: mask, prompt: " \n"))

        #expect(result.image != image)
    }

    @Test func cancelledTaskStopsFill() async throws {
        let image = try FillFixtures.photo("forest512")
        let mask = FillFixtures.Shape.largeRect.mask(width: image.width, height: image.height)
        let backend = BuiltinFillBackend()
        let request = FillFixtures.request(image: image, mask: mask)

        let task = Task { try await backend.edit(request) }
        task.cancel()

        await #expect(
            throws: BackendError.transient(
                "The built-in fill for job 'job-1' was cancelled before it finished; the job can run again."
            )
        ) {
            try await task.value
        }
    }

    @Test func describesItself() {
        let backend = BuiltinFillBackend()

        #expect(backend.name == "fill")
        #expect(backend.capabilities == .maskedFill)
        #expect(BuiltinFillBackend(name: "cleanup").name == "cleanup")
    }
}
