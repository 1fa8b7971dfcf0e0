import Backends
import DaemonSupport
import Foundation
import Imaging
import Recipes

extension BackendFactory {
    /// A problem in a ComfyUI backend's settings that only shows once its files are read.
    struct ComfyUISetupError: Error, CustomStringConvertible {
        var backend: String
        var message: String

        var description: String { "backend '\(backend)': \(message)" }
    }

    static func makeComfyUIBackend(_ backend: DaemonConfiguration.Backend, logger: Logger) throws -> ComfyUIBackend {
        let configuration = try makeComfyUIConfiguration(backend)
        let coding = ComfyUIImageCoding(
            encodePNG: { image in try ImageEncoder.encode(image, options: EncodeOptions(format: .png, pngCompressionLevel: 1)) },
            decode: { bytes in try ImageDecoder.decode(bytes).image }
        )
        return try ComfyUIBackend(configuration: configuration, coding: coding, logger: logger.with(["backend": backend.name]))
    }

    static func makeComfyUIConfiguration(_ backend: DaemonConfiguration.Backend) throws -> ComfyUIConfiguration {
        let options = backend.comfyUI ?? ComfyUIBackendOptions()
        var servers: [ComfyUIServer] = []
        for server in options.servers {
            servers.append(try ComfyUIServer(address: server.address, concurrency: server.concurrency, queueAhead: server.queueAhead))
        }
        var timeouts = ComfyUITimeouts()
        if let request = options.requestTimeout { timeouts.request = .milliseconds(Int64(request * 1000)) }
        if let transfer = options.transferTimeout { timeouts.transfer = .milliseconds(Int64(transfer * 1000)) }
        if let job = options.jobTimeout { timeouts.job = .milliseconds(Int64(job * 1000)) }
        if let wait = options.noServerTimeout { timeouts.noServerWait = .milliseconds(Int64(wait * 1000)) }
        return ComfyUIConfiguration(
            name: backend.name,
            servers: servers,
            graph: try makeGraphSource(options, backend: backend.name),
            timeouts: timeouts,
            maximumAttempts: options.attempts ?? 3
        )
    }

    private static func makeGraphSource(_ options: ComfyUIBackendOptions, backend: String) throws -> ComfyUIGraphSource {
        guard let path = options.workflow else {
            var files = KontextModelFiles()
            let models = options.models
            if models.format == "gguf" { files.format = .gguf }
            if let name = models.diffusionModel { files.diffusionModel = name }
            if let dtype = models.weightDType { files.weightDType = dtype }
            if let name = models.clipL { files.clipL = name }
            if let name = models.t5 { files.t5 = name }
            if let name = models.vae { files.vae = name }
            return .kontext(files)
        }
        guard let data = FileManager.default.contents(atPath: path) else {
            throw ComfyUISetupError(backend: backend, message: "cannot read the workflow '\(path)'; check the path and its permissions")
        }
        let workflow = try ComfyUIWorkflow(json: [UInt8](data), bindings: try makeBindings(options.bindings, backend: backend))
        let problems = workflow.validate()
        guard problems.isEmpty else {
            throw ComfyUISetupError(
                backend: backend,
                message: "workflow '\(path)' does not match its bindings: " + problems.map(\.description).joined(separator: "; ")
            )
        }
        return .workflow(workflow)
    }

    private static func makeBindings(_ bindings: [String: String], backend: String) throws -> ComfyUIBindings {
        func input(_ name: String) -> ComfyUINodeInput? {
            guard let value = bindings[name] else { return nil }
            let parts = value.split(separator: ".", maxSplits: 1).map(String.init)
            return parts.count == 2 ? ComfyUINodeInput(node: parts[0], input: parts[1]) : nil
        }
        guard let image = input("image"), let output = bindings["output"] else {
            throw ComfyUISetupError(backend: backend, message: "a workflow needs the bindings 'image' and 'output'")
        }
        return ComfyUIBindings(
            image: image,
            mask: input("mask"),
            prompt: input("prompt"),
            seed: input("seed"),
            steps: input("steps"),
            guidance: input("guidance"),
            width: input("width"),
            height: input("height"),
            outputNode: output,
            filenamePrefix: input("filename_prefix")
        )
    }
}
