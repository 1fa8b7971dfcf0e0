/// The SHA-256 hash function (FIPS 180-4), written in Swift so the daemon needs no crypto library.
///
/// Feed bytes with `update(_:)` and read the 32-byte digest with `finalize()`, or use the one-shot
/// `hash(_:)`, `hexDigest(_:)` and `hashFile(atPath:)`.
public struct SHA256: Sendable {
    /// The digest length in bytes.
    public static let digestByteCount = 32

    private static let blockByteCount = 64

    private var state: [UInt32] = [
        0x6a09_e667, 0xbb67_ae85, 0x3c6e_f372, 0xa54f_f53a, 0x510e_527f, 0x9b05_688c, 0x1f83_d9ab, 0x5be0_cd19,
    ]
    /// Input bytes that do not yet fill a 64-byte block.
    private var pending: [UInt8] = []
    private var totalByteCount: UInt64 = 0

    public init() {
        pending.reserveCapacity(SHA256.blockByteCount)
    }

    /// Adds `bytes` to the hashed message.
    public mutating func update(_ bytes: UnsafeRawBufferPointer) {
        totalByteCount &+= UInt64(bytes.count)
        var input = bytes[...]

        // Complete a block started by an earlier call first.
        if !pending.isEmpty {
            let taken = min(SHA256.blockByteCount - pending.count, input.count)
            pending.append(contentsOf: input.prefix(taken))
            input = input.dropFirst(taken)
            guard pending.count == SHA256.blockByteCount else { return }
            pending.withUnsafeBytes { SHA256.compress(state: &state, blocks: $0) }
            pending.removeAll(keepingCapacity: true)
        }

        // Hash whole blocks straight from the caller's memory and keep the rest.
        let wholeByteCount = input.count - input.count % SHA256.blockByteCount
        if wholeByteCount > 0 {
            let blocks = UnsafeRawBufferPointer(rebasing: input.prefix(wholeByteCount))
            SHA256.compress(state: &state, blocks: blocks)
        }
        pending.append(contentsOf: input.dropFirst(wholeByteCount))
    }

    /// Adds `bytes` to the hashed message.
    public mutating func update(_ bytes: some Sequence<UInt8>) {
        let handled: Void? = bytes.withContiguousStorageIfAvailable { update(UnsafeRawBufferPointer($0)) }
        if handled == nil {
            Array(bytes).withUnsafeBytes { update($0) }
        }
    }

    /// Pads the message and returns the 32-byte digest.
    public consuming func finalize() -> [UInt8] {
        let messageBitCount = totalByteCount &* 8

        // Padding: one 1 bit, zeros up to 56 bytes modulo 64, then the bit length as a big-endian UInt64.
        var padding: [UInt8] = [0x80]
        let zeroCount = (SHA256.blockByteCount + 56 - (pending.count + 1) % SHA256.blockByteCount) % 64
        padding.append(contentsOf: repeatElement(0, count: zeroCount))
        for shift in stride(from: 56, through: 0, by: -8) {
            padding.append(UInt8(truncatingIfNeeded: messageBitCount >> UInt64(shift)))
        }
        padding.withUnsafeBytes { update($0) }

        var digest: [UInt8] = []
        digest.reserveCapacity(SHA256.digestByteCount)
        for word in state {
            digest.append(contentsOf: [24, 16, 8, 0].map { UInt8(truncatingIfNeeded: word >> $0) })
        }
        return digest
    }

    /// Returns the SHA-256 digest of `bytes`.
    public static func hash(_ bytes: some Sequence<UInt8>) -> [UInt8] {
        var hasher = SHA256()
        hasher.update(bytes)
        return hasher.finalize()
    }

    /// Returns the SHA-256 digest of `bytes` as 64 lowercase hexadecimal digits, as `sha256sum` prints it.
    public static func hexDigest(_ bytes: some Sequence<UInt8>) -> String {
        hexString(hash(bytes))
    }

    /// Formats `bytes` as lowercase hexadecimal digits, two per byte.
    public static func hexString(_ bytes: [UInt8]) -> String {
        let digits = Array("0123456789abcdef".utf8)
        var text: [UInt8] = []
        text.reserveCapacity(bytes.count * 2)
        for byte in bytes {
            text.append(digits[Int(byte >> 4)])
            text.append(digits[Int(byte & 0x0f)])
        }
        return String(decoding: text, as: UTF8.self)
    }
}
