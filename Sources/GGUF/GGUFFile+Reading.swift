import Foundation

extension GGUFFile {
    /// Reads the header of the GGUF file at `path` (the file is memory-mapped; weights are not read).
    /// - Parameter arrayLimit: arrays longer than this are kept as their length only. Default 64.
    public init(contentsOf path: String, arrayLimit: Int = 64) throws {
        let data: Data
        do {
            data = try Data(contentsOf: URL(fileURLWithPath: path), options: .alwaysMapped)
        } catch {
            throw GGUFError(description: "cannot read \(path): \(error.localizedDescription)")
        }
        try self.init(data: data, arrayLimit: arrayLimit)
    }

    /// Reads a GGUF header from bytes.
    public init(data: Data, arrayLimit: Int = 64) throws {
        var reader = ByteReader(data: data)
        guard try reader.readUInt32() == 0x4655_4747 else {  // "GGUF", little-endian
            throw GGUFError(description: "not a GGUF file (bad magic)")
        }
        let version = try reader.readUInt32()
        guard (2...3).contains(version) else {
            throw GGUFError(description: "unsupported GGUF version \(version)")
        }
        let tensorCount = try reader.readCount()
        let metadataCount = try reader.readCount()
        var metadata: [String: GGUFValue] = [:]
        for _ in 0..<metadataCount {
            let key = try reader.readString()
            let type = try reader.readUInt32()
            metadata[key] = try reader.readValue(type: type, arrayLimit: arrayLimit)
        }
        var parameters: Int64 = 0
        for _ in 0..<tensorCount {
            _ = try reader.readString()
            let dimensions = try reader.readUInt32()
            guard dimensions <= 8 else { throw GGUFError(description: "tensor with \(dimensions) dimensions") }
            var elements: Int64 = 1
            for _ in 0..<dimensions {
                elements = elements.multipliedReportingOverflow(by: Int64(try reader.readUInt64())).partialValue
            }
            _ = try reader.readUInt32()  // tensor type
            _ = try reader.readUInt64()  // data offset
            parameters += elements
        }
        self.metadata = metadata
        self.parameterCount = parameters
        self.tensorCount = tensorCount
    }
}

/// Little-endian reads over a byte buffer, each bounds-checked.
struct ByteReader {
    let data: Data
    var offset: Int

    init(data: Data) {
        self.data = data
        self.offset = data.startIndex
    }

    mutating func readBytes(_ count: Int) throws -> Data {
        guard count >= 0, offset + count <= data.endIndex else {
            throw GGUFError(description: "truncated GGUF header at byte \(offset)")
        }
        defer { offset += count }
        return data[offset..<offset + count]
    }

    mutating func readInteger<T: FixedWidthInteger>(_: T.Type) throws -> T {
        let bytes = try readBytes(MemoryLayout<T>.size)
        var value = T.zero
        for (index, byte) in bytes.enumerated() {
            value |= T(truncatingIfNeeded: byte) << (8 * index)
        }
        return value
    }

    mutating func readUInt32() throws -> UInt32 { try readInteger(UInt32.self) }
    mutating func readUInt64() throws -> UInt64 { try readInteger(UInt64.self) }

    /// A count that must be plausible for a header (guards against hostile files).
    mutating func readCount() throws -> Int {
        let count = try readUInt64()
        guard count < 100_000_000 else { throw GGUFError(description: "implausible count \(count)") }
        return Int(count)
    }

    mutating func readString() throws -> String {
        let length = try readCount()
        return String(decoding: try readBytes(length), as: UTF8.self)
    }

    mutating func readValue(type: UInt32, arrayLimit: Int) throws -> GGUFValue {
        switch type {
        case 0: return .unsignedInt(UInt64(try readInteger(UInt8.self)))
        case 1: return .int(Int64(try readInteger(Int8.self)))
        case 2: return .unsignedInt(UInt64(try readInteger(UInt16.self)))
        case 3: return .int(Int64(try readInteger(Int16.self)))
        case 4: return .unsignedInt(UInt64(try readUInt32()))
        case 5: return .int(Int64(try readInteger(Int32.self)))
        case 6: return .float(Double(Float(bitPattern: try readUInt32())))
        case 7: return .bool(try readInteger(UInt8.self) != 0)
        case 8: return .string(try readString())
        case 9:
            let elementType = try readUInt32()
            let count = try readCount()
            var values: [GGUFValue] = []
            for _ in 0..<count {
                let value = try readValue(type: elementType, arrayLimit: arrayLimit)
                if count <= arrayLimit { values.append(value) }
            }
            return count <= arrayLimit ? .array(values) : .longArray(count: count)
        case 10: return .unsignedInt(try readUInt64())
        case 11: return .int(Int64(bitPattern: try readUInt64()))
        case 12: return .float(Double(bitPattern: try readUInt64()))
        default: throw GGUFError(description: "unknown GGUF value type \(type)")
        }
    }
}
