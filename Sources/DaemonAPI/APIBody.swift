import Foundation
import Node
import QEMU

/// Reading a request's body into what a route needs: every refusal a 400 problem naming what
/// does not read. Pure (bytes in), so that the fuzzer drives exactly what the routes run.
public enum APIBody {
    /// Larger bodies are refused (413) before they are read in full.
    public static let limit = 1 << 20

    /// An optional JSON body (an empty one, or only white space, is none).
    public static func decode<T: Decodable>(_ type: T.Type, _ bytes: [UInt8], path: String) throws(Problem) -> T? {
        guard !bytes.allSatisfy({ $0 == 0x20 || $0 == 0x0a || $0 == 0x0d || $0 == 0x09 }) else { return nil }
        do {
            let decoder = JSONDecoder()
            decoder.keyDecodingStrategy = .convertFromSnakeCase
            return try decoder.decode(T.self, from: Data(bytes))
        } catch {
            throw Problem(
                status: 400, code: "bad-request", title: "the body does not read", detail: "\(error)", path: path)
        }
    }

    /// A JSON body that must be there.
    public static func require<T: Decodable>(_ type: T.Type, _ bytes: [UInt8], path: String) throws(Problem) -> T {
        guard let value = try decode(type, bytes, path: path) else {
            throw Problem(
                status: 400, code: "bad-request", title: "a body is needed", detail: "the request has no JSON body",
                path: path)
        }
        return value
    }

    /// The instance spec a body holds; a 400 naming the field where it does not read.
    public static func spec(_ bytes: [UInt8], path: String) throws(Problem) -> InstanceSpec {
        do {
            return try InstanceSpec.parse(json: Data(bytes))
        } catch {
            throw Problem(
                status: 400, code: "invalid-spec", title: "the spec is not valid", detail: "\(error)", path: path)
        }
    }

    /// The NIC to hot-plug a body holds; a 400 naming the field where it does not read.
    public static func nic(_ bytes: [UInt8], path: String) throws(Problem) -> NICSpec {
        do {
            return try InstanceSpec.parseNIC(json: Data(bytes))
        } catch {
            throw Problem(
                status: 400, code: "invalid-spec", title: "the NIC is not valid", detail: "\(error)", path: path)
        }
    }

    /// The disk to hot-plug a body holds; a 400 naming the field where it does not read.
    public static func disk(_ bytes: [UInt8], path: String) throws(Problem) -> DiskSpec {
        do {
            return try InstanceSpec.parseDisk(json: Data(bytes))
        } catch {
            throw Problem(
                status: 400, code: "invalid-spec", title: "the disk is not valid", detail: "\(error)", path: path)
        }
    }

    /// A number of seconds a query parameter gives, read as ``duration(_:field:fallback:most:path:)``
    /// reads one from a body; one that is no number is refused, naming it.
    public static func duration(
        query text: String?, field: String, fallback: Double, path: String
    ) throws(Problem) -> Duration {
        guard let text else { return try duration(nil, field: field, fallback: fallback, path: path) }
        guard let seconds = Double(text), seconds.isFinite else {
            throw Problem(
                status: 400, code: "bad-request", title: "\(field) is not a number",
                detail: "\(field): \(text) is not a number of seconds", path: path)
        }
        return try duration(seconds, field: field, fallback: fallback, path: path)
    }

    /// A number of seconds a request gives (a timeout, a wait), or `fallback` where it gives
    /// none: one that is negative or beyond `most` (a day unless said) is refused, naming the
    /// field, rather than trapping on its conversion to a duration.
    public static func duration(
        _ seconds: Double?, field: String, fallback: Double, most: Double = 86_400, path: String
    ) throws(Problem)
        -> Duration
    {
        let seconds = seconds ?? fallback
        guard seconds >= 0, seconds <= most else {
            throw Problem(
                status: 400, code: "bad-request", title: "\(field) is out of range",
                detail: "\(field): \(seconds) is not a number of seconds from 0 to \(Int(most))", path: path)
        }
        return .milliseconds(Int64(seconds * 1000))
    }
}
