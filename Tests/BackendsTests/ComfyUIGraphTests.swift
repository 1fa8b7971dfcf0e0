import Testing

@testable import Backends

struct ComfyUIGraphTests {
    func makeValues(width: Int = 64, height: Int = 48, customSize: Bool = false) -> ComfyUIJobValues {
        ComfyUIJobValues(
            imagePath: "kontextd/job-1.png",
            maskPath: nil,
            prompt: "make the car red",
            seed: UInt64.max - 1,
            steps: 28,
            guidance: 2.5,
            width: width,
            height: height,
            usesCustomSize: customSize,
            filenamePrefix: "kontextd/job-1"
        )
    }

    func classType(_ graph: JSONValue, _ id: String) -> String? {
        graph[id]?["class_type"]?.stringValue
    }

    @Test func kontextGraphMatchesTemplate() {
        let graph = KontextGraph.make(models: KontextModelFiles(), values: makeValues())
        let sampler = graph["11"]?["inputs"]

        #expect(classType(graph, "1") == "UNETLoader")
        #expect(classType(graph, "2") == "DualCLIPLoader")
        #expect(graph["2"]?["inputs"]?["type"] == .string("flux"))
        #expect(classType(graph, "5") == "FluxKontextImageScale")
        #expect(classType(graph, "8") == "ReferenceLatent")
        #expect(graph["9"]?["inputs"]?["guidance"] == .double(2.5))
        #expect(classType(graph, "10") == "ConditioningZeroOut")
        #expect(sampler?["sampler_name"] == .string("euler"))
        #expect(sampler?["scheduler"] == .string("simple"))
        #expect(sampler?["cfg"] == .double(1))
        #expect(sampler?["steps"] == .integer(28))
        #expect(sampler?["seed"] == .unsignedInteger(UInt64.max - 1))
        #expect(sampler?["negative"] == KontextGraph.link("10"))
        #expect(sampler?["latent_image"] == KontextGraph.link("6"))
        #expect(graph["13"]?["inputs"]?["filename_prefix"] == .string("kontextd/job-1"))
        #expect(graph["14"] == nil)
    }

    @Test func seedSerialisesExactly() {
        let graph = KontextGraph.make(models: KontextModelFiles(), values: makeValues())

        #expect(graph.serializedString.contains("\"seed\":18446744073709551614"))
        #expect(JSONValue.parse(graph.serialized)?.serialized == graph.serialized)
    }

    @Test func ggufVariantUsesGGUFLoaders() {
        let models = KontextModelFiles(format: .gguf, diffusionModel: "flux1-kontext-dev-Q8_0.gguf", t5: "t5-Q8_0.gguf")
        let graph = KontextGraph.make(models: models, values: makeValues())

        #expect(classType(graph, "1") == "UnetLoaderGGUF")
        #expect(graph["1"]?["inputs"] == .object(["unet_name": .string("flux1-kontext-dev-Q8_0.gguf")]))
        #expect(classType(graph, "2") == "DualCLIPLoaderGGUF")
        #expect(graph["2"]?["inputs"]?["device"] == nil)
        #expect(graph["2"]?["inputs"]?["clip_name2"] == .string("t5-Q8_0.gguf"))
    }

    @Test func customSizeUsesEmptyLatent() {
        let graph = KontextGraph.make(
            models: KontextModelFiles(),
            values: makeValues(width: 1000, height: 523, customSize: true)
        )

        #expect(classType(graph, "14") == "EmptySD3LatentImage")
        #expect(graph["14"]?["inputs"]?["width"] == .integer(1008))
        #expect(graph["14"]?["inputs"]?["height"] == .integer(528))
        #expect(graph["11"]?["inputs"]?["latent_image"] == KontextGraph.link("14"))
        // The reference latent still comes from the input image.
        #expect(graph["8"]?["inputs"]?["latent"] == KontextGraph.link("6"))
    }
}

struct ComfyUIWorkflowTests {
    static let graphText = """
        {"3": {"class_type": "KSampler", "inputs": {"seed": 5, "steps": 20, "cfg": 1.0, "sampler_name": "euler",
               "scheduler": "simple", "denoise": 1.0, "model": ["1", 0], "positive": ["6", 0], "negative": ["6", 0],
               "latent_image": ["5", 0]}},
         "6": {"class_type": "CLIPTextEncode", "inputs": {"text": "placeholder", "clip": ["2", 0]}},
         "10": {"class_type": "LoadImage", "inputs": {"image": "example.png"}},
         "11": {"class_type": "LoadImageMask", "inputs": {"image": "mask.png", "channel": "red"}},
         "9": {"class_type": "SaveImage", "inputs": {"filename_prefix": "ComfyUI", "images": ["8", 0]}}}
        """

    static func makeBindings(outputNode: String = "9") -> ComfyUIBindings {
        ComfyUIBindings(
            image: ComfyUINodeInput(node: "10", input: "image"),
            mask: ComfyUINodeInput(node: "11", input: "image"),
            prompt: ComfyUINodeInput(node: "6", input: "text"),
            seed: ComfyUINodeInput(node: "3", input: "seed"),
            steps: ComfyUINodeInput(node: "3", input: "steps"),
            outputNode: outputNode
        )
    }

    struct BindingCase: Sendable, CustomTestStringConvertible {
        var label: String
        var bindings: ComfyUIBindings
        var expected: [String]
        var testDescription: String { label }
    }

    static let bindingCases: [BindingCase] = {
        var missingNode = makeBindings()
        missingNode.prompt = ComfyUINodeInput(node: "66", input: "text")
        var missingInput = makeBindings()
        missingInput.guidance = ComfyUINodeInput(node: "3", input: "guidance")
        let missingOutput = makeBindings(outputNode: "99")
        return [
            BindingCase(label: "valid", bindings: makeBindings(), expected: []),
            BindingCase(
                label: "missing node",
                bindings: missingNode,
                expected: ["binding 'prompt' names node '66', which the workflow does not contain"]
            ),
            BindingCase(
                label: "missing input",
                bindings: missingInput,
                expected: ["binding 'guidance' names input 'guidance' of node '3' (KSampler), which has no such input"]
            ),
            BindingCase(
                label: "missing output",
                bindings: missingOutput,
                expected: ["the output node '99' is not in the workflow"]
            ),
        ]
    }()

    @Test(arguments: bindingCases)
    func validationNamesProblem(_ testCase: BindingCase) throws {
        let graph = try #require(JSONValue.parse(Array(Self.graphText.utf8)))
        let workflow = ComfyUIWorkflow(graph: graph, bindings: testCase.bindings)

        #expect(workflow.validate().map(\.description) == testCase.expected)
    }

    @Test func uiFormatIsRejected() {
        let uiExport = #"{"last_node_id": 9, "nodes": [{"id": 9, "type": "SaveImage"}], "links": []}"#

        #expect(throws: ComfyUIWorkflowError.notAPIFormat) {
            try ComfyUIWorkflow(json: Array(uiExport.utf8), bindings: Self.makeBindings())
        }
    }

    @Test func invalidJSONIsRejected() {
        #expect(throws: ComfyUIWorkflowError.notJSON) {
            try ComfyUIWorkflow(json: Array("{\"3\": ".utf8), bindings: Self.makeBindings())
        }
    }

    @Test func fillingWritesBoundInputs() throws {
        let workflow = try ComfyUIWorkflow(json: Array(Self.graphText.utf8), bindings: Self.makeBindings())
        let values = ComfyUIJobValues(
            imagePath: "kontextd/a.png",
            maskPath: "kontextd/a-mask.png",
            prompt: "remove the sign",
            seed: 77,
            steps: 12,
            guidance: 3,
            width: 512,
            height: 512,
            usesCustomSize: false,
            filenamePrefix: "kontextd/a"
        )

        let graph = workflow.filled(with: values)

        #expect(graph["10"]?["inputs"]?["image"] == .string("kontextd/a.png"))
        #expect(graph["11"]?["inputs"]?["image"] == .string("kontextd/a-mask.png"))
        #expect(graph["6"]?["inputs"]?["text"] == .string("remove the sign"))
        #expect(graph["3"]?["inputs"]?["seed"] == .integer(77))
        #expect(graph["3"]?["inputs"]?["steps"] == .integer(12))
        #expect(graph["3"]?["inputs"]?["cfg"] == .double(1))
        #expect(graph["9"]?["inputs"]?["filename_prefix"] == .string("kontextd/a"))
        #expect(graph["11"]?["inputs"]?["channel"] == .string("red"))
    }
}
