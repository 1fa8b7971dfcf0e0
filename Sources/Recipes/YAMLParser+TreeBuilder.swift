/// Builds a node tree from libyaml events without recursion, expanding aliases within limits.
struct TreeBuilder {
    /// A node with the size and height of its subtree, which alias expansion adds to the totals.
    private struct Built {
        var node: YAMLNode
        var nodeCount: Int
        var height: Int
    }

    /// A sequence or mapping that is still open.
    private struct Frame {
        var isMapping: Bool
        var position: SourcePosition
        var anchor: String?
        var tag: String?
        var items: [YAMLNode] = []
        var pairs: [YAMLPair] = []
        var pendingKey: YAMLNode?
        var keyPositions: [String: SourcePosition] = [:]
        var nodeCount = 1
        var childHeight = 0
    }

    let limits: YAMLLimits
    private var stack: [Frame] = []
    private var anchors: [String: Built] = [:]
    private var totalNodes = 0

    init(limits: YAMLLimits) {
        self.limits = limits
    }

    /// Adds one node event, and returns the root node once the top-level node is complete.
    mutating func add(_ event: YAMLEvent) throws(YAMLError) -> YAMLNode? {
        switch event.kind {
        case .scalar(let text, let style):
            try checkTag(event)
            try count(nodes: 1, height: 1, at: event.position)
            let node = YAMLNode(.scalar(text, style), position: event.position, tag: event.tag)
            return try finish(Built(node: node, nodeCount: 1, height: 1), anchor: event.anchor)
        case .alias(let name):
            guard let built = anchors[name] else { throw .undefinedAlias(name, at: event.position) }
            try count(nodes: built.nodeCount, height: built.height, at: event.position)
            return try attach(built)
        case .sequenceStart, .mappingStart:
            try checkTag(event)
            try count(nodes: 1, height: 1, at: event.position)
            let isMapping = if case .mappingStart = event.kind { true } else { false }
            stack.append(Frame(isMapping: isMapping, position: event.position, anchor: event.anchor, tag: event.tag))
            return nil
        case .sequenceEnd, .mappingEnd:
            return try close()
        case .streamStart, .streamEnd, .documentStart, .documentEnd:
            return nil
        }
    }

    /// Counts nodes toward the total and checks the depth a subtree of `height` reaches here.
    private mutating func count(nodes: Int, height: Int, at position: SourcePosition) throws(YAMLError) {
        totalNodes += nodes
        guard totalNodes <= limits.maxNodes else { throw .tooManyNodes(limit: limits.maxNodes, at: position) }
        guard stack.count + height <= limits.maxDepth else { throw .tooDeep(limit: limits.maxDepth, at: position) }
    }

    private func checkTag(_ event: YAMLEvent) throws(YAMLError) {
        guard let tag = event.tag, tag != "!", !YAMLTag.accepted.contains(tag) else { return }
        throw .unsupportedTag(tag, at: event.position)
    }

    private mutating func close() throws(YAMLError) -> YAMLNode? {
        guard let frame = stack.popLast() else { return nil }
        let content: YAMLNode.Content = frame.isMapping ? .mapping(frame.pairs) : .sequence(frame.items)
        let node = YAMLNode(content, position: frame.position, tag: frame.tag)
        let built = Built(node: node, nodeCount: frame.nodeCount, height: frame.childHeight + 1)
        return try finish(built, anchor: frame.anchor)
    }

    private mutating func finish(_ built: Built, anchor: String?) throws(YAMLError) -> YAMLNode? {
        if let anchor { anchors[anchor] = built }
        return try attach(built)
    }

    /// Adds a finished node to the open collection, or returns it when it is the root.
    private mutating func attach(_ built: Built) throws(YAMLError) -> YAMLNode? {
        guard var parent = stack.popLast() else { return built.node }
        defer { stack.append(parent) }

        parent.nodeCount += built.nodeCount
        parent.childHeight = max(parent.childHeight, built.height)
        guard parent.isMapping else {
            parent.items.append(built.node)
            return nil
        }
        guard let key = parent.pendingKey else {
            guard let name = built.node.scalarText else { throw .nonScalarKey(at: built.node.position) }
            if let first = parent.keyPositions[name] {
                throw .duplicateKey(name, at: built.node.position, first: first)
            }
            parent.keyPositions[name] = built.node.position
            parent.pendingKey = built.node
            return nil
        }
        parent.pairs.append(YAMLPair(key: key, value: built.node))
        parent.pendingKey = nil
        return nil
    }
}
