import SystemPackage

/// Lossless across a process boundary (a hook worker and the node), the errno as its number.
extension LuaError: Codable {
    private enum CodingKeys: String, CodingKey { case code, message, file, line, traceback, errno }

    public init(from decoder: Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        self.init(
            try container.decode(Code.self, forKey: .code), try container.decode(String.self, forKey: .message),
            file: try container.decodeIfPresent(String.self, forKey: .file),
            line: try container.decodeIfPresent(Int.self, forKey: .line),
            traceback: try container.decodeIfPresent(String.self, forKey: .traceback),
            errno: try container.decodeIfPresent(Int32.self, forKey: .errno).map(Errno.init(rawValue:)))
    }

    public func encode(to encoder: Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(code, forKey: .code)
        try container.encode(message, forKey: .message)
        try container.encodeIfPresent(file, forKey: .file)
        try container.encodeIfPresent(line, forKey: .line)
        try container.encodeIfPresent(traceback, forKey: .traceback)
        try container.encodeIfPresent(errno?.rawValue, forKey: .errno)
    }
}

extension LuaError.Code: Codable {}
