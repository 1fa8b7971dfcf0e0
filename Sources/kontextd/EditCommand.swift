import Backends
import DaemonSupport
import EditPipeline
import Foundation
import Recipes

/// `kontextd edit`: one job from the command line, through the daemon's own pipeline.
struct EditCommand {
    var input: String
    var output: String
    var sidecar: String?
    var logPath: String?
    var configPath: String?
    var overrideLines: [String] = []
    var extraFiles: [String: String] = [:]

    init(_ arguments: ArraySlice<String>) throws(UsageError) {
        let parsed = try ParsedArguments(
            arguments,
            command: "edit",
            valued: ["-o", "--output", "--sidecar", "--prompt", "--mask", "--size", "--backend", "--seed", "--log", "--config"],
            flags: []
        )
        guard parsed.positionals.count == 1 else {
            throw UsageError(parsed.positionals.isEmpty ? "missing INPUT" : "expected one INPUT, got \(parsed.positionals.count)", command: "edit")
        }
        guard let output = parsed.options["-o"] ?? parsed.options["--output"] else {
            throw UsageError("missing -o OUTPUT", command: "edit")
        }
        self.input = parsed.positionals[0]
        self.output = output
        self.sidecar = parsed.options["--sidecar"]
        self.logPath = parsed.options["--log"]
        self.configPath = parsed.options["--config"]
        if let prompt = parsed.options["--prompt"] { overrideLines.append("prompt: \(Self.quoted(prompt))") }
        if let size = parsed.options["--size"] { overrideLines.append("size: \(Self.quoted(size))") }
        if let backend = parsed.options["--backend"] { overrideLines.append("backend: \(Self.quoted(backend))") }
        if let seed = parsed.options["--seed"] { overrideLines.append("seed: \(seed)") }
        if let mask = parsed.options["--mask"] {
            let name = "command-line-mask." + ((mask as NSString).pathExtension.isEmpty ? "png" : (mask as NSString).pathExtension)
            extraFiles[name] = mask
            overrideLines.append("mask: \(Self.quoted(name))")
        }
    }

    /// Quotes `text` as a YAML double-quoted scalar, using JSON string escaping, which YAML accepts.
    static func quoted(_ text: String) -> String {
        let data = (try? JSONEncoder().encode(text)) ?? Data("\"\"".utf8)
        return String(decoding: data, as: UTF8.self)
    }

    func run(logger: Logger) async -> Int32 {
        do {
            return try await execute(logger: logger)
        } catch {
            printError("kontextd edit: \(error)")
            return 1
        }
    }

    private func execute(logger: Logger) async throws -> Int32 {
        guard !FileManager.default.fileExists(atPath: output) else {
            printError("kontextd edit: output '\(output)' already exists; choose another name or remove it first")
            return 1
        }
        let configuration = try ConfigurationLoader.load(explicitPath: configPath)
        let pipeline = EditPipeline(
            backends: try BackendFactory.makeRegistry(configuration, logger: logger),
            settings: configuration.pipelineSettings,
            logger: logger
        )
        let workspace = try EditWorkspace(input: input, sidecar: sidecar, extraFiles: extraFiles)
        defer { workspace.remove() }

        let overrides = try parseOverrides()
        let result = await pipeline.run(workspace.job, recipe: Instruction(), recipeFiles: [], overrides: overrides)
        if let logPath {
            try Data(result.log.encoded()).write(to: URL(fileURLWithPath: logPath))
        }
        if let failure = result.failure {
            printError("kontextd edit: \(failure)")
            return failure.isTransient ? 75 : 1
        }
        try writeOutputs(result.outputs)
        return 0
    }

    private func parseOverrides() throws -> Instruction? {
        var lines = overrideLines
        let format = Self.formatName(forPath: output)
        if format != "same" {
            lines.append("output:\n  format: \(format)")
        }
        guard !lines.isEmpty else { return nil }
        let text = lines.joined(separator: "\n") + "\n"
        return try InstructionParser(kind: .sidecar).parse(Array(text.utf8), fileName: "command line").instruction
    }

    private func writeOutputs(_ outputs: [ProducedOutput]) throws {
        for (index, produced) in outputs.enumerated() {
            var path = output
            if outputs.count > 1 {
                let ext = (output as NSString).pathExtension
                let stem = (output as NSString).deletingPathExtension
                path = stem + "-\(index + 1)" + (ext.isEmpty ? "" : "." + ext)
            }
            guard FileManager.default.createFile(atPath: path, contents: Data(produced.bytes)) else {
                throw EditCommandError("cannot write '\(path)'; check that its folder exists and is writable")
            }
            print(path)
        }
    }

    static func formatName(forPath path: String) -> String {
        switch (path as NSString).pathExtension.lowercased() {
        case "jpg", "jpeg": "jpeg"
        case "png": "png"
        case "webp": "webp"
        default: "same"
        }
    }
}

/// A failure of `kontextd edit` itself, outside the pipeline.
struct EditCommandError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

/// A temporary folder holding copies of the files of a command-line job, laid out as a claimed job.
struct EditWorkspace {
    let directory: String
    let job: JobInput

    init(input: String, sidecar: String?, extraFiles: [String: String]) throws {
        directory = NSTemporaryDirectory() + "kontextd-edit-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let imageName = (input as NSString).lastPathComponent
        try Self.copy(input, to: directory + "/" + imageName)

        var others: [String] = []
        var sidecarName: String?
        if let sidecar {
            let name = (sidecar as NSString).lastPathComponent
            try Self.copy(sidecar, to: directory + "/" + name)
            sidecarName = name
            let sidecarDirectory = (sidecar as NSString).deletingLastPathComponent
            for reference in try Self.referencedPaths(ofSidecar: sidecar) {
                let source = (sidecarDirectory.isEmpty ? "." : sidecarDirectory) + "/" + reference
                try FileManager.default.createDirectory(
                    atPath: (directory + "/" + reference as NSString).deletingLastPathComponent,
                    withIntermediateDirectories: true
                )
                try Self.copy(source, to: directory + "/" + reference)
                others.append(reference)
            }
        }
        for (name, source) in extraFiles.sorted(by: { $0.key < $1.key }) {
            try Self.copy(source, to: directory + "/" + name)
            others.append(name)
        }
        job = JobInput(
            id: "edit-" + UUID().uuidString.prefix(8).lowercased(),
            directory: directory,
            imageName: imageName,
            sidecarName: sidecarName,
            otherNames: others,
            watch: "command line",
            folder: ""
        )
    }

    /// Returns the mask and extra images a sidecar names, as paths relative to it. An invalid sidecar
    /// names none here, and the pipeline then fails the job with the sidecar's diagnostics.
    static func referencedPaths(ofSidecar path: String) throws -> [String] {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw EditCommandError("cannot read sidecar '\(path)'; check the path")
        }
        guard let instruction = try? InstructionParser(kind: .sidecar).parse([UInt8](data), fileName: path).instruction else {
            return []
        }
        return instruction.referencedPaths.filter { !$0.hasPrefix("/") && !$0.split(separator: "/").contains("..") }
    }

    static func copy(_ source: String, to destination: String) throws {
        guard let data = FileManager.default.contents(atPath: source) else {
            throw EditCommandError("cannot read '\(source)'; check the path and its permissions")
        }
        guard FileManager.default.createFile(atPath: destination, contents: data) else {
            throw EditCommandError("cannot write the working copy '\(destination)'")
        }
    }

    func remove() {
        try? FileManager.default.removeItem(atPath: directory)
    }
}
