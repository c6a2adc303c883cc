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

    /// Runs every check; `checkHook` loads a network hook file (in a worker) and says what is
    /// wrong with it, or nil.
    public static func run(
        qemu: String, hookFolders: [String], checkHook: (String) -> String?
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
        for folder in hookFolders {
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
