/// A bounds-checked reader for the parts of an EXIF TIFF structure that the codecs need.
///
/// `bytes` starts with the byte-order mark (`II` little-endian or `MM` big-endian). Every read returns nil
/// instead of trapping when an offset points outside the buffer, because EXIF blocks come from untrusted files.
struct EXIFReader {
    let bytes: [UInt8]
    let littleEndian: Bool

    /// The EXIF tag number of the orientation in IFD0.
    static let orientationTag: UInt16 = 0x0112

    init?(_ bytes: [UInt8]) {
        guard bytes.count >= 8 else {
            return nil
        }
        switch (bytes[0], bytes[1]) {
        case (0x49, 0x49): littleEndian = true
        case (0x4D, 0x4D): littleEndian = false
        default: return nil
        }
        self.bytes = bytes
        guard readUInt16(at: 2) == 42 else {
            return nil
        }
    }

    func readUInt16(at offset: Int) -> UInt16? {
        guard offset >= 0, offset + 2 <= bytes.count else {
            return nil
        }
        let first = UInt16(bytes[offset])
        let second = UInt16(bytes[offset + 1])
        return littleEndian ? first | second << 8 : first << 8 | second
    }

    func readUInt32(at offset: Int) -> UInt32? {
        guard let high = readUInt16(at: littleEndian ? offset + 2 : offset),
            let low = readUInt16(at: littleEndian ? offset : offset + 2)
        else {
            return nil
        }
        return UInt32(high) << 16 | UInt32(low)
    }

    /// Finds the offset of the value field of the first IFD0 entry with `tag`, or nil when there is none.
    func ifd0EntryValueOffset(tag: UInt16) -> Int? {
        guard let ifdOffset = readUInt32(at: 4).map(Int.init), let count = readUInt16(at: ifdOffset) else {
            return nil
        }
        for index in 0..<Int(count) {
            let entry = ifdOffset + 2 + index * 12
            guard let entryTag = readUInt16(at: entry) else {
                return nil
            }
            if entryTag == tag {
                return entry + 8
            }
        }
        return nil
    }

    /// The orientation 1...8 from IFD0, or nil when it is missing, not a SHORT or out of range.
    var orientation: Int? {
        guard let valueOffset = ifd0EntryValueOffset(tag: Self.orientationTag),
            readUInt16(at: valueOffset - 6) == 3,  // type 3 is SHORT
            let value = readUInt16(at: valueOffset),
            (1...8).contains(value)
        else {
            return nil
        }
        return Int(value)
    }
}

extension ImageMetadata {
    /// Reads the orientation from `exif` into `orientation`, and returns a warning when the value is unusable.
    mutating func readOrientationFromEXIF() -> String? {
        guard let exif else {
            return nil
        }
        guard let reader = EXIFReader(exif) else {
            return "The EXIF block has no valid TIFF header, so its orientation was ignored."
        }
        if let value = reader.orientation {
            orientation = value
            return nil
        }
        if let valueOffset = reader.ifd0EntryValueOffset(tag: EXIFReader.orientationTag) {
            let raw = reader.readUInt16(at: valueOffset).map(String.init) ?? "unreadable"
            return "The EXIF orientation '\(raw)' is not a value from 1 to 8, so the image was not rotated."
        }
        return nil
    }
}
