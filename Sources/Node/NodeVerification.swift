import Foundation
import HostNet
import QEMU

/// `taphouse node verify` and `GET /v1/node/verify`: whether this node can run instances (its
/// qemu there and new enough, `/dev/net/tun` usable, every network hook loading).
public struct NodeVerification: Codable, Sendable {
    public struct Check: Codable, Sendable, Equatable {
        /// `qemu`, `tun`, or `hook`.
        public var kind: String
        /// What was checked: the binary, the device, the hook file.
        public var subject: String
        public var ok: Bool
        /// What was found (qemu's version) or what is wrong.
        public var detail: String
    }

    public var checks: [Check]
    public var ok: Bool { checks.allSatisfy(\.ok) }

    public init(checks: [Check]) { self.checks = checks }

    private enum CodingKeys: String, CodingKey { case ok, checks }

    public init(from decoder: any Decoder) throws {
        checks = try decoder.container(keyedBy: CodingKeys.self).decode([Check].self, forKey: .checks)
    }

    /// `ok` is written too, so that a health check reads one field.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(ok, forKey: .ok)
        try container.encode(checks, forKey: .checks)
    }

    /// Runs every check; `checkHook` loads a network hook file (in a worker) and says what is
    /// wrong with it, or nil. The built-in hooks must be there (an install missing them can run
    /// no NIC); the site's folder may be absent.
    public static func run(
        qemu: String, builtin: String, site: String?, checkHook: (String) -> String?
    ) async -> NodeVerification {
        var checks: [Check] = []
        do {
            let features = try await QemuProbe.features(of: qemu)
            let recent = features.version >= QemuVersion.minimumSupported
            checks.append(
                Check(
                    kind: "qemu", subject: qemu, ok: recent,
                    detail: recent
                        ? "qemu \(features.version)"
                        : "qemu \(features.version) is older than \(QemuVersion.minimumSupported)"))
        } catch {
            checks.append(Check(kind: "qemu", subject: qemu, ok: false, detail: "\(error)"))
        }
        do {
            _ = try Tap.kernelFeatures()
            checks.append(Check(kind: "tun", subject: "/dev/net/tun", ok: true, detail: "usable"))
        } catch {
            checks.append(Check(kind: "tun", subject: "/dev/net/tun", ok: false, detail: "\(error)"))
        }
        if !FileManager.default.fileExists(atPath: builtin + "/network") {
            checks.append(
                Check(
                    kind: "hook", subject: builtin, ok: false,
                    detail: "no built-in hooks: \(builtin)/network is missing"))
        }
        for folder in [builtin, site].compactMap({ $0 }) {
            let network = folder + "/network"
            for name in ((try? FileManager.default.contentsOfDirectory(atPath: network)) ?? []).sorted()
            where name.hasSuffix(".lua") {
                let file = network + "/" + name
                let problem = checkHook(file)
                checks.append(Check(kind: "hook", subject: file, ok: problem == nil, detail: problem ?? "loads"))
            }
        }
        return NodeVerification(checks: checks)
    }
}
