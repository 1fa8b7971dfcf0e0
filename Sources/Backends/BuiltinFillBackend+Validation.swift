internal import Imaging

extension BuiltinFillBackend {
    /// The number of prompt characters that the error message for a prompt quotes.
    static let quotedPromptLength = 60

    /// Returns the request's mask after checking that the fill can serve the request.
    ///
    /// A prompt of only whitespace counts as no prompt.
    func validatedMask(of request: EditRequest) throws(BackendError) -> Mask {
        if let prompt = request.prompt, !prompt.allSatisfy(\.isWhitespace) {
            throw .permanent(promptMessage(prompt))
        }
        guard let mask = request.mask else {
            throw .permanent(
                "The built-in fill backend '\(name)' needs a mask, but the request has none. "
                    + "Add 'mask:' (a mask image, 'alpha' or shapes) to mark the region to fill."
            )
        }
        let image = request.image
        guard mask.width == image.width, mask.height == image.height else {
            throw .permanent(
                "The mask is \(mask.width)x\(mask.height) but the image is \(image.width)x\(image.height). "
                    + "Give a mask of the image's size."
            )
        }
        guard !mask.isEmpty else {
            throw .permanent(
                "The mask selects no pixel (every value is 0), so the built-in fill backend '\(name)' has "
                    + "nothing to fill. Check 'mask:' (white marks the region to edit) and its 'invert' setting."
            )
        }
        guard mask.values.contains(where: { $0 < PatchMatchFill.unknownThreshold }) else {
            throw .permanent(
                "The mask covers every pixel with a value of \(PatchMatchFill.unknownThreshold) or more, so "
                    + "the built-in fill backend '\(name)' has no known pixel to copy from. Shrink the mask, or "
                    + "choose a generative backend with 'backend:'."
            )
        }
        return mask
    }

    private func promptMessage(_ prompt: String) -> String {
        let quoted =
            prompt.count > Self.quotedPromptLength ? prompt.prefix(Self.quotedPromptLength) + "…" : Substring(prompt)
        return "The built-in fill backend '\(name)' cannot follow a prompt, but the request has the prompt "
            + "'\(quoted)'. Remove 'prompt:' for a plain removal of the masked region, or choose a generative "
            + "backend with 'backend:'."
    }

    func noSourcePatchMessage(width: Int, height: Int) -> String {
        let side = 2 * PatchMatchFill.patchRadius + 1
        return "The built-in fill backend '\(name)' needs at least one \(side)x\(side) block of known pixels "
            + "(mask below \(PatchMatchFill.unknownThreshold)) to copy from, but the mask leaves none in this "
            + "\(width)x\(height) image. Shrink the mask, add context around it with 'inpaint:', or choose a "
            + "generative backend with 'backend:'."
    }
}
