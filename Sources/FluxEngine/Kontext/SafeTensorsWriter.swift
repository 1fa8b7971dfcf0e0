import Foundation

/// Writes float32 tensors as a `.safetensors` file, for latents and other intermediate results.
public enum SafeTensorsWriter {
    /// Writes `tensors` as F32 under their names, sorted, with the header padded to 8 bytes as the
    /// format requires.
    public static func write(_ tensors: [String: Tensor], to path: String) throws {
        var header: [String] = []
        var offset = 0
        let names = tensors.keys.sorted()
        for name in names {
            guard let tensor = tensors[name] else { continue }
            let size = tensor.count * MemoryLayout<Float>.size
            let shape = tensor.shape.map(String.init).joined(separator: ",")
            header.append("\(jsonString(name)):{\"dtype\":\"F32\",\"shape\":[\(shape)],\"data_offsets\":[\(offset),\(offset + size)]}")
            offset += size
        }
        var headerBytes = Array("{\(header.joined(separator: ","))}".utf8)
        while headerBytes.count % 8 != 0 { headerBytes.append(UInt8(ascii: " ")) }

        var data = Data()
        data.reserveCapacity(8 + headerBytes.count + offset)
        withUnsafeBytes(of: UInt64(headerBytes.count).littleEndian) { data.append(contentsOf: $0) }
        data.append(contentsOf: headerBytes)
        for name in names {
            guard let tensor = tensors[name] else { continue }
            // Float is little-endian on every platform Swift on Linux supports.
            tensor.storage.withUnsafeBytes { data.append(contentsOf: $0) }
        }
        do {
            try data.write(to: URL(fileURLWithPath: path))
        } catch {
            throw EngineError.invalidArgument("cannot write '\(path)': \(error.localizedDescription); check that the folder exists and is writable")
        }
    }

    private static func jsonString(_ value: String) -> String {
        var out = "\""
        for scalar in value.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case _ where scalar.value < 0x20: out += String(format: "\\u%04x", scalar.value)
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out + "\""
    }
}
