import Foundation
import Imaging

extension ComfyUIBackend {
    /// The PNG files of one job, encoded once and reused for every attempt.
    struct JobUpload: Sendable {
        var image: [UInt8]
        var mask: [UInt8]?
    }

    func encodeUploads(_ request: EditRequest) throws(BackendError) -> JobUpload {
        do {
            let image = try coding.encodePNG(request.image)
            guard case .workflow(let workflow) = configuration.graph, workflow.bindings.mask != nil else {
                // The built-in graph edits the crop the pipeline prepared, and the pipeline stitches it back.
                return JobUpload(image: image)
            }
            // NOTE: a workflow that binds a mask gets an all-white mask (edit everything) for jobs
            // without one, because its LoadImageMask node needs some file.
            let mask = request.mask ?? Mask(width: request.image.width, height: request.image.height, filledWith: 255)
            let maskImage = Image(width: mask.width, height: mask.height, layout: .gray, pixels: mask.values)
            return JobUpload(image: image, mask: try coding.encodePNG(maskImage))
        } catch {
            throw .permanent("encoding the image for ComfyUI as PNG failed: \(error)")
        }
    }

    /// Runs one attempt of a job on one server, from upload to decoded output.
    func runJob(_ request: EditRequest, upload: JobUpload, serverIndex: Int) async throws(ComfyUIFailure) -> Image {
        let client = pool.clients[serverIndex]
        let channel = channels[serverIndex]
        let promptID = UUID().uuidString.lowercased()
        let tag = Self.fileTag(request.jobID)

        let imagePath = try await client.upload(upload.image, filename: "\(tag)-\(promptID).png", subfolder: "kontextd")
        var maskPath: String?
        if let mask = upload.mask {
            maskPath = try await client.upload(mask, filename: "\(tag)-\(promptID)-mask.png", subfolder: "kontextd")
        }
        let values = ComfyUIJobValues(
            imagePath: imagePath,
            maskPath: maskPath,
            prompt: request.prompt ?? "",
            seed: request.seed,
            steps: request.steps,
            guidance: request.guidance,
            width: request.outputWidth,
            height: request.outputHeight,
            usesCustomSize: request.outputWidth != request.image.width || request.outputHeight != request.image.height,
            filenamePrefix: "kontextd/\(tag)-\(promptID)"
        )
        let (graph, outputNode) = makeGraph(values)

        let (clientID, _) = await channel.clientID()
        channel.watch(promptID)
        defer { channel.unwatch(promptID) }
        try await client.queue(graph: graph, promptID: promptID, clientID: clientID, outputNode: outputNode)

        let entry: ComfyUIHistoryEntry
        do {
            entry = try await waitForCompletion(promptID: promptID, client: client, channel: channel)
        } catch {
            switch error {
            case .jobTimedOut, .cancelled: await client.cancel(promptID: promptID)
            default: break
            }
            throw error
        }
        return try await fetchOutput(entry, node: outputNode, client: client)
    }

    func makeGraph(_ values: ComfyUIJobValues) -> (graph: JSONValue, outputNode: String) {
        switch configuration.graph {
        case .kontext(let models): (KontextGraph.make(models: models, values: values), KontextGraph.outputNode)
        case .workflow(let workflow): (workflow.filled(with: values), workflow.bindings.outputNode)
        }
    }

    /// Waits for the prompt's end: the WebSocket event, or its history entry when polling.
    ///
    /// A prompt that is in neither the queue nor the history is lost (the server restarted).
    private func waitForCompletion(
        promptID: String,
        client: ComfyUIServerClient,
        channel: ComfyUIEventChannel
    ) async throws(ComfyUIFailure) -> ComfyUIHistoryEntry {
        let timeouts = configuration.timeouts
        let deadline = ContinuousClock.now + timeouts.job
        while true {
            let remaining = ContinuousClock.now.duration(to: deadline)
            guard remaining > .zero else { throw .jobTimedOut(server: client.name, timeout: timeouts.job) }
            guard !Task.isCancelled else { throw .cancelled(server: client.name) }
            let event = await channel.nextEvent(for: promptID, timeout: min(timeouts.pollInterval, remaining))
            if case .failed(let type, let data)? = event {
                throw Self.failure(type: type, data: data, server: client.name)
            }
            if let entry = try await client.history(promptID: promptID) { return entry }
            if event == .finished { continue }
            if try await client.isQueued(promptID: promptID) { continue }
            // It may have finished between the two requests, so look once more before giving up.
            if let entry = try await client.history(promptID: promptID) { return entry }
            throw .queueLost(server: client.name, promptID: promptID)
        }
    }

    private func fetchOutput(_ entry: ComfyUIHistoryEntry, node: String, client: ComfyUIServerClient)
        async throws(ComfyUIFailure) -> Image
    {
        if entry.statusText == "error" {
            let message = entry.errorMessage ?? ("execution_error", .null)
            throw Self.failure(type: message.type, data: message.data, server: client.name)
        }
        guard let reference = entry.outputs[node]?.first else { throw .noOutput(server: client.name, node: node) }
        let bytes = try await client.download(reference)
        do {
            return try coding.decode(bytes)
        } catch {
            throw .undecodableOutput(server: client.name, file: reference.filename, detail: "\(error)")
        }
    }

    static func failure(type: String, data: JSONValue, server: String) -> ComfyUIFailure {
        let node = data["node_id"]?.stringValue ?? "unknown"
        if type == "execution_interrupted" { return .interrupted(server: server, node: node) }
        return .execution(
            server: server,
            node: node,
            classType: data["node_type"]?.stringValue ?? "unknown class",
            exceptionType: data["exception_type"]?.stringValue ?? "an exception",
            message: (data["exception_message"]?.stringValue ?? "no message").trimmingCharacters(
                in: .whitespacesAndNewlines
            )
        )
    }

    /// Reduces the job id to at most 40 characters that are safe in a file name.
    static func fileTag(_ jobID: String) -> String {
        let safe = jobID.unicodeScalars.map { scalar -> Character in
            CharacterSet.alphanumerics.contains(scalar) && scalar.isASCII || scalar == "-" || scalar == "_"
                ? Character(scalar) : "_"
        }
        let tag = String(safe.prefix(40))
        return tag.isEmpty ? "job" : tag
    }
}
