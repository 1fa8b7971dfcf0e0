import Foundation
import Imaging

extension HostedBackend {
    /// Builds the submit body: scales the image (and mask) to the provider's limits, encodes them as
    /// the profile says, and maps the request's values to the provider's field names.
    func prepareSubmitBody(_ request: EditRequest) async throws(HostedFailure) -> JSONValue {
        let size = HostedSizing.inputSize(width: request.image.width, height: request.image.height, limits: profile.limits)
        let image = size.width == request.image.width ? request.image : request.image.resized(width: size.width, height: size.height)
        var fields: [String: JSONValue] = [:]

        if let field = profile.fields["image"] {
            fields[field] = .string(try await encodedInput(image.converted(to: .rgb), name: "image", jobID: request.jobID))
        }
        if let mask = request.mask, let field = profile.fields["mask"] {
            let scaled = mask.width == size.width ? mask : mask.resized(width: size.width, height: size.height)
            let maskImage = Image(width: scaled.width, height: scaled.height, layout: .gray, pixels: scaled.values)
            fields[field] = .string(try await encodedInput(maskImage, name: "mask", jobID: request.jobID))
        }
        if let prompt = request.prompt, let field = profile.fields["prompt"] { fields[field] = .string(prompt) }
        if let field = profile.fields["seed"] { fields[field] = .number(request.seed & 0x7FFF_FFFF) }
        if let field = profile.fields["steps"] { fields[field] = .integer(Int64(request.steps)) }
        if let field = profile.fields["guidance"] { fields[field] = .double(request.guidance) }
        if let field = profile.fields["aspect_ratio"] {
            fields[field] = .string(HostedSizing.aspectRatioField(width: request.outputWidth, height: request.outputHeight, limits: profile.limits))
        }
        let output = HostedSizing.outputSize(width: request.outputWidth, height: request.outputHeight, limits: profile.limits)
        if let field = profile.fields["width"] { fields[field] = .integer(Int64(output.width)) }
        if let field = profile.fields["height"] { fields[field] = .integer(Int64(output.height)) }
        for (name, value) in profile.constants where fields[name] == nil { fields[name] = value }

        guard let envelope = profile.envelope else { return .object(fields) }
        return .object([envelope: .object(fields)])
    }

    /// The image as the profile sends it: base64, a data URI, or the URL of an upload.
    private func encodedInput(_ image: Image, name: String, jobID: String) async throws(HostedFailure) -> String {
        let bytes: [UInt8]
        do {
            bytes = try ImageEncoder.encode(image, options: EncodeOptions(format: .png, pngCompressionLevel: 6))
        } catch {
            throw .invalidRequest("encoding the \(name) as PNG failed: \(error)")
        }
        switch profile.imageEncoding {
        case .base64, .dataURI:
            let encodedSize = (bytes.count + 2) / 3 * 4
            guard encodedSize <= profile.limits.maxInlineBytes else {
                throw .invalidRequest(
                    "the \(name) is \(encodedSize) bytes as base64, above the provider's limit of \(profile.limits.maxInlineBytes); "
                        + "lower limits.max_megapixels in the profile or use image: upload"
                )
            }
            let text = Data(bytes).base64EncodedString()
            return profile.imageEncoding == .base64 ? text : "data:image/png;base64," + text
        case .upload:
            return try await upload(bytes, name: name, jobID: jobID)
        }
    }

    /// Uploads a file and returns its URL. An upload starts no billed run, so a failed one is safe to repeat.
    private func upload(_ bytes: [UInt8], name: String, jobID: String) async throws(HostedFailure) -> String {
        guard let upload = profile.upload else { throw .invalidRequest("profile '\(profile.name)' sends images by upload but has no submit.upload") }
        var form = MultipartForm()
        form.addFile(name: upload.field, filename: "\(jobID)-\(name).png", contentType: "image/png", bytes: bytes)
        let url = try url(path: upload.path)
        let response: HTTPResponse
        do {
            response = try await HostedTransport.send(
                method: "POST",
                url: url,
                headers: headers(contentType: form.contentType),
                body: form.encoded,
                timeout: profile.timeouts.download,
                proxy: profile.httpsProxy,
                caFile: profile.caFile
            )
        } catch {
            throw .unavailable("uploading the \(name) to \(url.redactedDescription) failed")
        }
        guard (200..<300).contains(response.status), let parsed = JSONValue.parse(response.body),
            let fileURL = HostedJSONPath.string(at: upload.urlPath, in: parsed)
        else {
            let detail = "HTTP \(response.status): \(String(response.bodyText.prefix(300)))"
            if response.status == 429 || response.status >= 500 { throw .unavailable("uploading the \(name) failed with \(detail)") }
            throw .rejected(status: response.status, message: "uploading the \(name) failed with \(detail)")
        }
        return fileURL
    }
}

/// Size arithmetic for hosted models: input downscaling, output size fields and aspect ratios.
public enum HostedSizing {
    /// The input size after scaling down (never up) to `maxMegapixels` and `maxSide`, keeping the aspect ratio.
    public static func inputSize(width: Int, height: Int, limits: HostedLimits) -> (width: Int, height: Int) {
        let pixels = Double(width * height)
        let byArea = (limits.maxMegapixels * 1_000_000 / pixels).squareRoot()
        let bySide = Double(limits.maxSide) / Double(max(width, height))
        let scale = min(1, byArea, bySide)
        guard scale < 1 else { return (width, height) }
        return (max(1, Int((Double(width) * scale).rounded(.down))), max(1, Int((Double(height) * scale).rounded(.down))))
    }

    /// A `width`/`height` pair for models that take them: the job's aspect ratio within
    /// `maxMegapixels`, each side a multiple of `sizeMultiple`.
    public static func outputSize(width: Int, height: Int, limits: HostedLimits) -> (width: Int, height: Int) {
        let scaled = inputSize(width: width, height: height, limits: limits)
        let multiple = limits.sizeMultiple
        func snap(_ value: Int) -> Int { max(multiple, value / multiple * multiple) }
        return (snap(scaled.width), snap(scaled.height))
    }

    /// The `aspect_ratio` value for a job: the closest listed ratio, or a free ratio within the maximum.
    public static func aspectRatioField(width: Int, height: Int, limits: HostedLimits) -> String {
        guard !limits.aspectRatios.isEmpty else {
            let ratio = aspectRatio(width: width, height: height, maximum: limits.maxAspectRatio)
            return "\(ratio.width):\(ratio.height)"
        }
        let target = log(Double(width) / Double(height))
        let scored = limits.aspectRatios.compactMap { text in parseRatio(text).map { (text, abs(log($0) - target)) } }
        return scored.min { $0.1 < $1.1 }?.0 ?? limits.aspectRatios[0]
    }

    /// Reads `W:H` as width over height, or nil when it is not two positive whole numbers.
    public static func parseRatio(_ text: String) -> Double? {
        let parts = text.split(separator: ":")
        guard parts.count == 2, let width = Int(parts[0]), let height = Int(parts[1]), width > 0, height > 0 else { return nil }
        return Double(width) / Double(height)
    }

    /// The job's aspect ratio as small whole numbers (such as 16:10 → 8:5), clamped to
    /// `maximum` (such as 21/9) in either orientation. Ratios with large terms are approximated
    /// by the closest ratio whose terms are at most 21.
    public static func aspectRatio(width: Int, height: Int, maximum: Double) -> (width: Int, height: Int) {
        var target = Double(width) / Double(height)
        target = min(max(target, 1 / maximum), maximum)
        var best = (width: 1, height: 1)
        var bestError = Double.infinity
        for h in 1...21 {
            for w in 1...21 {
                let ratio = Double(w) / Double(h)
                guard ratio <= maximum + 1e-9, ratio >= 1 / maximum - 1e-9 else { continue }
                let error = abs(log(ratio / target))
                // Smaller terms win ties, since `w` and `h` grow through the loops.
                if error < bestError - 1e-12 {
                    best = (w, h)
                    bestError = error
                }
            }
        }
        return best
    }
}
