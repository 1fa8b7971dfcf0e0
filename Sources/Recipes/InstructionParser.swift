/// The role of a YAML file, a job's sidecar or a folder recipe, because a few keys are valid in only one of them.
public enum InstructionKind: Sendable, Equatable {
    case sidecar, recipe
}

/// An instruction read from one file, with the warnings found while reading it.
public struct ParsedInstruction: Sendable, Equatable {
    public var instruction: Instruction
    public var warnings: [Diagnostic]

    public init(instruction: Instruction, warnings: [Diagnostic] = []) {
        self.instruction = instruction
        self.warnings = warnings
    }
}

/// Reads sidecars and folder recipes into `Instruction` values, collecting every problem.
///
/// Keys are snake_case. docs/configuration.md describes the accepted value forms.
public struct InstructionParser: Sendable {
    public var kind: InstructionKind
    /// When set, `backend` values must name one of these, and a misspelt name gets a suggestion.
    public var knownBackends: [String]?
    /// When set, mask and image paths are resolved with `SidecarPaths` and must stay inside the inbox.
    public var location: SidecarLocation?

    public init(kind: InstructionKind = .sidecar, knownBackends: [String]? = nil, location: SidecarLocation? = nil) {
        self.kind = kind
        self.knownBackends = knownBackends
        self.location = location
    }

    /// Parses YAML bytes, naming `fileName` in every diagnostic.
    ///
    /// An empty file, or one with only comments, is an empty instruction. Throws `.invalid` with every
    /// error found, sorted by position. Warnings, such as a long prompt, come back with the result.
    public func parse(_ bytes: [UInt8], fileName: String) throws(RecipesError) -> ParsedInstruction {
        let root: YAMLNode?
        do {
            root = try YAMLParser.parse(bytes)
        } catch {
            throw .invalid([Diagnostic(file: fileName, position: error.position, message: error.message)])
        }
        guard let root else { return ParsedInstruction(instruction: Instruction()) }

        var reader = InstructionReader(file: fileName, kind: kind)
        reader.knownBackends = knownBackends
        reader.location = location
        let instruction = reader.readInstruction(root, prefix: "", isChainEntry: false)
        let collector = reader.schema.collector
        guard !collector.hasErrors else { throw .invalid(collector.errors.sortedByPosition()) }
        return ParsedInstruction(instruction: instruction, warnings: collector.warnings)
    }

    /// Reads and parses a file, naming its path in every diagnostic.
    public func parse(contentsOf path: String) throws(RecipesError) -> ParsedInstruction {
        try parse(FileBytes.read(path), fileName: path)
    }
}

/// The folder of a sidecar and the root of its inbox, against which the paths it names are checked.
public struct SidecarLocation: Sendable, Equatable {
    public var directory: String
    public var inboxRoot: String

    public init(directory: String, inboxRoot: String) {
        self.directory = directory
        self.inboxRoot = inboxRoot
    }
}

/// Walks one instruction's node tree and builds an `Instruction`, reporting problems as it goes.
struct InstructionReader {
    static let topLevelKeys = [
        "prompt", "mask", "size", "seed", "variants", "seeds", "steps", "guidance", "inpaint", "images",
        "chain", "backend", "output", "intake",
    ]
    /// Keys a chain entry may set. The others apply to the whole job and stay at the top level.
    static let chainEntryKeys = ["prompt", "mask", "size", "steps", "guidance", "inpaint", "backend"]
    static let maxChainEntries = 16
    static let maxVariants = 16

    var schema: SchemaReader
    let kind: InstructionKind
    var knownBackends: [String]?
    var location: SidecarLocation?

    init(file: String, kind: InstructionKind) {
        schema = SchemaReader(file: file)
        self.kind = kind
    }

    mutating func readInstruction(_ node: YAMLNode, prefix: String, isChainEntry: Bool) -> Instruction {
        var instruction = Instruction()
        let mappingPath = prefix.isEmpty ? nil : String(prefix.dropLast())
        let listed = kind == .recipe ? Self.topLevelKeys : Self.topLevelKeys.filter { $0 != "intake" }
        guard let fields = schema.fields(of: node, path: mappingPath, allowed: Self.topLevelKeys, listed: listed) else {
            return instruction
        }
        if isChainEntry {
            rejectWholeJobKeys(fields)
        }

        for pair in fields.pairs where !isChainEntry || Self.chainEntryKeys.contains(pair.name) {
            let (key, value) = (pair.name, pair.value)
            let path = prefix + key
            switch key {
            case "prompt": instruction.prompt = readPrompt(value, path: path)
            case "mask": instruction.mask = readMask(value, path: path)
            case "size": instruction.size = readSize(value, path: path)
            case "seed": instruction.seed = schema.seed(value, path: path)
            case "variants":
                instruction.variants = schema.integer(
                    value,
                    path: path,
                    range: 1...Self.maxVariants,
                    example: "variants: 4"
                )
            case "seeds": instruction.seeds = readSeeds(value, path: path)
            case "steps": instruction.steps = schema.integer(value, path: path, range: 1...100, example: "steps: 20")
            case "guidance":
                instruction.guidance = schema.number(value, path: path, range: 0...30, example: "guidance: 2.5")
            case "inpaint": instruction.inpaint = readInpaint(value, path: path)
            case "images": instruction.images = readImages(value, path: path)
            case "chain": instruction.chain = readChain(value, path: path)
            case "backend": instruction.backend = readBackend(value, path: path)
            case "output": instruction.output = readOutput(value, path: path)
            case "intake": instruction.intake = readIntake(value, path: path)
            default: break
            }
        }
        checkSeeds(instruction, fields: fields, prefix: prefix)
        return instruction
    }

    /// Reports keys that a chain entry inherits from the job instead of setting them itself.
    private mutating func rejectWholeJobKeys(_ fields: Fields) {
        for pair in fields.pairs where !Self.chainEntryKeys.contains(pair.name) {
            let message =
                pair.name == "chain"
                ? "a chain entry cannot contain another 'chain'; list every pass in the top-level chain"
                : "'\(pair.name)' cannot be set in a chain entry; set it at the top level, where it applies to the whole job"
            schema.collector.error(message, at: pair.key)
        }
    }

    private mutating func readPrompt(_ node: YAMLNode, path: String) -> String? {
        guard let prompt = schema.string(node, path: path, expected: "the edit instruction as text") else { return nil }
        let tokens = PromptLength.estimatedT5Tokens(prompt)
        if tokens > PromptLength.kontextTokenLimit {
            schema.collector.warning(
                "'\(path)' is about \(tokens) T5 tokens (an estimate from its length); Flux Kontext reads about "
                    + "\(PromptLength.kontextTokenLimit), so the end may be ignored; shorten it",
                at: node
            )
        }
        return prompt
    }

    private mutating func readBackend(_ node: YAMLNode, path: String) -> String? {
        guard let name = schema.string(node, path: path, expected: "the name of a backend in kontextd.yaml") else {
            return nil
        }
        guard let knownBackends, !knownBackends.contains(name) else { return name }
        let hint =
            KeySuggestion.closest(to: name, among: knownBackends).map { "; did you mean '\($0)'?" }
            ?? "; configured backends are \(knownBackends.joined(separator: ", "))"
        schema.collector.error("'\(path)' is '\(name)', which is not a backend in the configuration" + hint, at: node)
        return nil
    }

    private mutating func readSeeds(_ node: YAMLNode, path: String) -> [UInt64]? {
        let expected = "a list of 1 to \(Self.maxVariants) seeds, for example 'seeds: [1, 2, 3]'"
        guard let items = schema.list(node, path: path, expected: expected) else { return nil }
        guard (1...Self.maxVariants).contains(items.count) else {
            schema.collector.error("'\(path)' lists \(items.count) seeds; expected \(expected)", at: node)
            return nil
        }
        let seeds = items.enumerated().map { schema.seed($1, path: "\(path)[\($0 + 1)]") }
        return seeds.contains(nil) ? nil : seeds.compactMap { $0 }
    }

    private mutating func readChain(_ node: YAMLNode, path: String) -> [Instruction]? {
        let expected = "a list of 1 to \(Self.maxChainEntries) instruction mappings"
        guard let items = schema.list(node, path: path, expected: expected) else { return nil }
        guard (1...Self.maxChainEntries).contains(items.count) else {
            schema.collector.error("'\(path)' has \(items.count) entries; expected \(expected)", at: node)
            return nil
        }
        return items.enumerated().map { index, item in
            readInstruction(item, prefix: "\(path)[\(index + 1)].", isChainEntry: true)
        }
    }

    /// Checks that `seed`, `seeds`, `variants` and the output name template agree within this file.
    private mutating func checkSeeds(_ instruction: Instruction, fields: Fields, prefix: String) {
        if let node = fields["seeds"], fields["seed"] != nil {
            schema.collector.error(
                "'\(prefix)seed' and '\(prefix)seeds' cannot both be set; use 'seed' with 'variants', or list every seed in 'seeds'",
                at: node
            )
        }
        if let node = fields["variants"], let variants = instruction.variants, let seeds = instruction.seeds,
            variants != seeds.count
        {
            schema.collector.error(
                "'\(prefix)variants' is \(variants) but '\(prefix)seeds' lists \(seeds.count); remove 'variants' or make them agree",
                at: node
            )
        }
        let variantCount = instruction.seeds?.count ?? instruction.variants ?? 1
        if variantCount > 1, let name = instruction.output?.name, !OutputNameTemplate.distinguishesVariants(name),
            let node = fields["output"]?.pairs?.first(where: { $0.name == "name" })?.value
        {
            schema.collector.error(OutputNameTemplate.missingVariantMessage(name, variants: variantCount), at: node)
        }
    }
}

/// Estimates how many T5 tokens a prompt uses, for the long-prompt warning.
enum PromptLength {
    /// Flux Kontext's T5 encoder reads 512 tokens.
    static let kontextTokenLimit = 512

    /// Returns an estimate, not a tokenization. It assumes that T5's SentencePiece vocabulary averages about
    /// four characters of English per token and that every word takes at least one token.
    static func estimatedT5Tokens(_ prompt: String) -> Int {
        let words = prompt.split(whereSeparator: \.isWhitespace).count
        return max(words, (prompt.count + 3) / 4)
    }
}
