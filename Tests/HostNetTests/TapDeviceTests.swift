import CLinux
import SystemPackage
import TestSupport
import Testing

@testable import HostNet

#if canImport(Glibc)
import Glibc
#endif

/// Native taps on /dev/net/tun, each test in a network namespace it makes and deletes.
@Suite(
    "Taps",
    .enabled(if: NetworkNamespace.isAvailable, "kernel tests: \(NetworkNamespace.unavailableReason ?? "")"))
struct TapDeviceTests {
    /// The name and IFF_* flags the kernel has for a tap fd (TUNGETIFF).
    static func attachment(_ fd: FileDescriptor) throws -> (name: String, flags: Int16) {
        var name = [CChar](repeating: 0, count: Int(IFNAMSIZ))
        var flags: Int16 = 0
        let result = clinux_tun_get(fd.rawValue, &name, &flags)
        try #require(result == 0, "TUNGETIFF: errno \(errno)")
        return (String(decoding: name.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self), flags)
    }

    static func closeOnExec(_ fd: FileDescriptor) -> Bool { fcntl(fd.rawValue, F_GETFD) & FD_CLOEXEC != 0 }

    @Test func theKernelNamesATapWhenNoNameIsGiven() throws {
        let ns = try NetworkNamespace()
        try ns.run {
            let first = try Tap.create(vnetHeader: false)
            let second = try Tap.create(vnetHeader: false)
            defer {
                first.close()
                second.close()
            }
            for tap in [first, second] {
                #expect(tap.name.hasPrefix("tap") && Int(tap.name.dropFirst(3)) != nil, "\(tap.name)")
                #expect(try Self.attachment(tap.fds[0]).name == tap.name)
                #expect(try LinuxHost().link(tap.name)?.kind == "tun")
            }
            #expect(first.name != second.name)
        }
    }

    @Test func aGivenNameIsUsedAndTheTapHasNoPacketInfo() throws {
        let ns = try NetworkNamespace()
        try ns.run {
            let tap = try Tap.create(name: "vm-nic0", vnetHeader: false)
            defer { tap.close() }
            #expect(tap.name == "vm-nic0" && tap.fds.count == 1 && !tap.multiQueue)
            let (name, flags) = try Self.attachment(tap.fds[0])
            #expect(name == "vm-nic0")
            #expect(flags & Int16(IFF_TAP) != 0 && flags & Int16(IFF_NO_PI) != 0)
            #expect(flags & Int16(IFF_MULTI_QUEUE) == 0)
        }
    }

    @Test func theVnetHeaderIsSetOnlyWhenAllowedAndTheKernelOffersIt() throws {
        let ns = try NetworkNamespace()
        try ns.run {
            let offered = try Tap.kernelFeatures() & UInt32(IFF_VNET_HDR) != 0
            let allowed = try Tap.create(name: "vnet0", vnetHeader: true)
            let refused = try Tap.create(name: "vnet1", vnetHeader: false)
            defer {
                allowed.close()
                refused.close()
            }
            #expect(allowed.vnetHeader == offered)
            #expect((try Self.attachment(allowed.fds[0]).flags & Int16(IFF_VNET_HDR) != 0) == offered)
            #expect(!refused.vnetHeader)
            #expect(try Self.attachment(refused.fds[0]).flags & Int16(IFF_VNET_HDR) == 0)
        }
    }

    @Test func aMultiqueueTapHasOneFdPerQueueOnTheSameName() throws {
        let ns = try NetworkNamespace()
        try ns.run {
            guard try Tap.kernelFeatures() & UInt32(IFF_MULTI_QUEUE) != 0 else {
                let error = #expect(throws: HostNetError.self) {
                    try Tap.create(name: "mq0", vnetHeader: true, queues: 2)
                }
                #expect(error?.code == .unsupported)
                return
            }
            let tap = try Tap.create(name: "mq0", vnetHeader: true, queues: 2)
            defer { tap.close() }
            #expect(tap.multiQueue && tap.fds.count == 2)
            #expect(Set(tap.fds.map(\.rawValue)).count == 2)
            for fd in tap.fds {
                let (name, flags) = try Self.attachment(fd)
                #expect(name == "mq0" && flags & Int16(IFF_MULTI_QUEUE) != 0)
            }
            #expect(try LinuxHost().links().filter { $0.name == "mq0" }.count == 1)
        }
    }

    @Test func tapFdsAreCloseOnExecUntilHandedToAChildOnPurpose() throws {
        let ns = try NetworkNamespace()
        try ns.run {
            let tap = try Tap.create(name: "cloexec0", vnetHeader: false, queues: 2)
            defer { tap.close() }
            #expect(tap.fds.allSatisfy(Self.closeOnExec))
            let numbers = try tap.inheritable()
            #expect(numbers == tap.fds.map(\.rawValue))
            #expect(!tap.fds.contains(where: Self.closeOnExec))
        }
    }

    /// Whether the link is gone, allowing a moment: another test spawning a process at the same
    /// time holds copies of every fd (close-on-exec ones too) from its fork until its exec, so
    /// the last close of a tap can be the child's, a little later than ours.
    static func gone(_ name: String, _ host: LinuxHost) throws -> Bool {
        for _ in 0..<200 {
            if try host.link(name) == nil { return true }
            usleep(10_000)
        }
        return false
    }

    @Test func aTapDisappearsWhenItsFdsCloseOrItIsReleased() throws {
        let ns = try NetworkNamespace()
        try ns.run {
            let host = try LinuxHost()
            let tap = try Tap.create(name: "gone0", vnetHeader: false, queues: 2)
            #expect(try host.link("gone0") != nil)
            tap.close()
            #expect(tap.fds.isEmpty)
            #expect(try Self.gone("gone0", host))
            do {
                let released = try Tap.create(name: "gone1", vnetHeader: false)
                #expect(try host.link(released.name) != nil)
            }
            #expect(try Self.gone("gone1", host))
        }
    }

    @Test func aPersistentTapIsDeletedByNameAndOtherLinksAreNot() throws {
        let ns = try NetworkNamespace()
        try ns.ip(["tuntap", "add", "dev", "ptap0", "mode", "tap"])
        try ns.ip(["link", "add", "br0", "type", "bridge"])
        try ns.run {
            let host = try LinuxHost()
            #expect(try host.link("ptap0")?.kind == "tun")
            try Tap.delete("ptap0")
            #expect(try host.link("ptap0") == nil)
            #expect(throws: HostNetError(.notFound, "delete tap ptap0", detail: "no link ptap0")) {
                try Tap.delete("ptap0")
            }
            let bridge = #expect(throws: HostNetError.self) { try Tap.delete("br0") }
            #expect(bridge?.code == .invalid)
            #expect(try host.link("br0") != nil)
        }
    }

    @Test func badNamesAndQueueCountsAreRefusedBeforeTheKernel() throws {
        let ns = try NetworkNamespace()
        try ns.run {
            let host = try LinuxHost()
            for name in ["a/b", "sixteen-chars-xx", "", "a b"] {
                let error = #expect(throws: HostNetError.self) { try Tap.create(name: name, vnetHeader: false) }
                #expect(error?.code == .invalid, "\(name)")
            }
            for queues in [0, -1, Tap.maximumQueues + 1] {
                let error = #expect(throws: HostNetError.self) { try Tap.create(vnetHeader: false, queues: queues) }
                #expect(error?.code == .invalid, "\(queues)")
            }
            #expect(try host.links().map(\.name) == ["lo"])
        }
    }

    @Test func aNameInUseByAnotherKindOfLinkIsAKernelError() throws {
        let ns = try NetworkNamespace()
        try ns.ip(["link", "add", "br0", "type", "bridge"])
        try ns.run {
            let error = #expect(throws: HostNetError.self) { try Tap.create(name: "br0", vnetHeader: false) }
            #expect(error?.code == .kernel && error?.errno != nil)
        }
    }

    @Test func aTapBelongsToTheNamespaceItWasMadeIn() throws {
        let first = try NetworkNamespace()
        let second = try NetworkNamespace()
        try first.run {
            let tap = try Tap.create(name: "iso0", vnetHeader: false)
            defer { tap.close() }
            #expect(try LinuxHost().link("iso0") != nil)
            #expect(try second.run { try LinuxHost().link("iso0") } == nil)
        }
    }
}
