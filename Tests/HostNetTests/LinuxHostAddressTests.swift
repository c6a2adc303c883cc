import Foundation
import SystemPackage
import TestSupport
import Testing

@testable import HostNet

/// Interface addresses and proxy neighbour entries through ``LinuxHost`` on the real kernel, each
/// test in a network namespace it makes and deletes (addresses 10.99.x.x, 192.0.2.x and
/// 2001:db8::/32 only), checked against what `ip -o address show` and `ip neighbour show proxy`
/// print. These are also the kernel's rules ``FakeHost`` copies (`FakeHostAddressTests` checks
/// the fake against the same cases).
@Suite(
    "Linux host addresses and proxy neighbours",
    .enabled(if: NetworkNamespace.isAvailable, "kernel tests: \(NetworkNamespace.unavailableReason ?? "")"))
struct LinuxHostAddressTests {
    /// A namespace with a veth pair `veth0`/`veth1` (down), made with `ip` (test set-up only).
    static func namespaceWithVeth() throws -> NetworkNamespace {
        let ns = try NetworkNamespace()
        try ns.ip(["link", "add", "veth0", "type", "veth", "peer", "name", "veth1"])
        return ns
    }

    /// IPv6 on for `name`, where the namespace's default has it off.
    static func enableIPv6(_ host: LinuxHost, _ name: String) throws {
        if try host.sysctl("net/ipv6/conf/\(name)/disable_ipv6") != "0" {
            try host.setSysctl("net/ipv6/conf/\(name)/disable_ipv6", "0")
        }
    }

    /// What `ip -o address show [dev NAME]` prints, as addresses, leaving out what
    /// ``HostNetwork/addresses(of:)`` leaves out (`scope host`, the IPv6 link-local /64s).
    static func shown(_ ns: NetworkNamespace, _ name: String? = nil) throws -> Set<InterfaceAddress> {
        let output = try ns.ip(["-o", "address", "show"] + (name.map { ["dev", $0] } ?? []))
        var addresses: Set<InterfaceAddress> = []
        // "3: veth0    inet 192.0.2.1/24 scope global veth0\       valid_lft forever ..."
        for line in output.split(separator: "\n") {
            let fields = line.split(whereSeparator: \.isWhitespace).map(String.init)
            guard fields.count >= 6, fields[2] == "inet" || fields[2] == "inet6" else { continue }
            let scope = fields[fields.firstIndex(of: "scope")! + 1]
            if scope == "host"
                || (fields[3].hasPrefix("fe80:") && fields[3].hasSuffix("/64") && fields[3].contains("ff:fe"))
            {
                continue
            }
            let device = String(fields[1].prefix { $0 != "@" })
            addresses.insert(InterfaceAddress(address: fields[3], device: device))
        }
        return addresses
    }

    /// What `ip neighbour show proxy` prints (`192.0.2.5 dev veth0 proxy`), as entries.
    static func shownProxies(_ ns: NetworkNamespace) throws -> Set<ProxyNeighbour> {
        Set(
            try ns.ip(["neighbour", "show", "proxy"]).split(separator: "\n").map {
                let fields = $0.split(separator: " ").map(String.init)
                return ProxyNeighbour(address: fields[0], device: fields[2])
            })
    }

    @Test func ipv4AndIPv6AddressesAreAddedListedAndDeletedAsIpShowsThem() throws {
        let ns = try Self.namespaceWithVeth()
        try ns.run {
            let host = try LinuxHost()
            try Self.enableIPv6(host, "veth0")
            let given = [
                InterfaceAddress(address: "192.0.2.1/24", device: "veth0"),
                InterfaceAddress(address: "192.0.2.1/25", device: "veth0"),  // another length: another address
                InterfaceAddress(address: "10.99.0.1", device: "veth0"),  // no length: a host address
                InterfaceAddress(address: "2001:db8::1/64", device: "veth0"),
                InterfaceAddress(address: "2001:DB8:0:0::2/64", device: "veth0"),
                InterfaceAddress(address: "10.99.1.1/24", device: "veth1"),
            ]
            for address in given { try host.addAddress(address) }  // on links that are down
            let expected: Set = [
                InterfaceAddress(address: "192.0.2.1/24", device: "veth0"),
                InterfaceAddress(address: "192.0.2.1/25", device: "veth0"),
                InterfaceAddress(address: "10.99.0.1/32", device: "veth0"),
                InterfaceAddress(address: "2001:db8::1/64", device: "veth0"),
                InterfaceAddress(address: "2001:db8::2/64", device: "veth0"),
            ]
            let listed = try host.addresses(of: "veth0")
            #expect(Set(listed) == expected && listed.count == 5)
            #expect(try Self.shown(ns, "veth0") == expected)
            #expect(listed.prefix(3).allSatisfy { !$0.address.contains(":") })  // IPv4 first
            let all = try host.addresses(of: nil)
            #expect(Set(all) == expected.union([InterfaceAddress(address: "10.99.1.1/24", device: "veth1")]))
            #expect(Set(all) == (try Self.shown(ns)))
            #expect(try host.addresses(of: "lo").isEmpty)
            for address in given { try host.deleteAddress(address) }
            #expect(try host.addresses(of: nil).isEmpty)
            #expect(try Self.shown(ns).isEmpty)
        }
    }

    @Test func aSecondAddIsRefusedAndAReplaceKeepsWhatIsThere() throws {
        let ns = try Self.namespaceWithVeth()
        try ns.run {
            let host = try LinuxHost()
            try Self.enableIPv6(host, "veth0")
            let v4 = InterfaceAddress(address: "192.0.2.1/24", device: "veth0")
            let v6 = InterfaceAddress(address: "2001:db8::1/64", device: "veth0")
            try host.addAddress(v4)
            try host.addAddress(v6)
            let twice = #expect(throws: HostNetError.self) { try host.addAddress(v4) }
            #expect(twice?.code == .kernel && twice?.errno == .fileExists)
            #expect(twice?.description.hasPrefix("address_add 192.0.2.1/24 dev veth0: File exists") == true)
            #expect(twice?.detail == "ipv4: Address already assigned")  // the kernel's words, FakeHost's too
            // IPv6: the address is there whatever the length asked for.
            for address in ["2001:db8::1/64", "2001:db8::1/128", "2001:DB8::1/48"] {
                let again = #expect(throws: HostNetError.self) {
                    try host.addAddress(InterfaceAddress(address: address, device: "veth0"))
                }
                #expect(again?.code == .kernel && again?.errno == .fileExists, "\(address)")
                #expect(again?.detail == "ipv6: address already assigned")
            }
            try host.replaceAddress(v4)
            try host.replaceAddress(v6)
            try host.replaceAddress(InterfaceAddress(address: "2001:db8::1/128", device: "veth0"))  // keeps /64
            #expect(Set(try host.addresses(of: "veth0")) == [v4, v6])
            try host.replaceAddress(InterfaceAddress(address: "192.0.2.1/25", device: "veth0"))  // another address
            try host.replaceAddress(InterfaceAddress(address: "2001:db8::3/64", device: "veth0"))  // new: added
            let expected: Set = [
                v4, v6, InterfaceAddress(address: "192.0.2.1/25", device: "veth0"),
                InterfaceAddress(address: "2001:db8::3/64", device: "veth0"),
            ]
            #expect(Set(try host.addresses(of: "veth0")) == expected)
            #expect(try Self.shown(ns, "veth0") == expected)
        }
    }

    @Test func whatIsNotThereIsNotFoundAndBadAddressesAreRefusedBeforeTheKernel() throws {
        let ns = try Self.namespaceWithVeth()
        try ns.run {
            let host = try LinuxHost()
            try Self.enableIPv6(host, "veth0")
            try host.addAddress(InterfaceAddress(address: "192.0.2.1/24", device: "veth0"))
            try host.addAddress(InterfaceAddress(address: "2001:db8::1/64", device: "veth0"))
            for address in ["192.0.2.9/24", "192.0.2.1/23", "2001:db8::1/128", "2001:db8::9/64"] {
                let missing = InterfaceAddress(address: address, device: "veth0")
                #expect(
                    throws: HostNetError(
                        .notFound, "address_del \(missing)", detail: "no such address", errno: .addressNotAvailable)
                ) { try host.deleteAddress(missing) }
            }
            let elsewhere = InterfaceAddress(address: "192.0.2.1/24", device: "tap9")
            for (operation, call) in [
                ("address_add", host.addAddress), ("address_replace", host.replaceAddress),
                ("address_del", host.deleteAddress),
            ] {
                #expect(throws: HostNetError(.notFound, "\(operation) \(elsewhere)", detail: "no link tap9")) {
                    try call(elsewhere)
                }
            }
            #expect(throws: HostNetError(.notFound, "list addresses of tap9", detail: "no link tap9")) {
                try host.addresses(of: "tap9")
            }
            for address in [
                "010.099.000.001/24", "192.0.2.1/33", "2001:db8::1/129", "192.0.2.1/+24", "192.0.2.1/", "veth0", "",
            ] {
                let error = #expect(throws: HostNetError.self) {
                    try host.addAddress(InterfaceAddress(address: address, device: "veth0"))
                }
                #expect(error?.code == .invalid, "\(address)")
            }
            let badName = #expect(throws: HostNetError.self) {
                try host.addAddress(InterfaceAddress(address: "192.0.2.1/24", device: "a/b"))
            }
            #expect(badName?.code == .invalid)
        }
    }

    @Test func theKernelsOwnAddressesAreNotListed() throws {
        let ns = try Self.namespaceWithVeth()
        try ns.run {
            let host = try LinuxHost()
            for name in ["veth0", "veth1"] { try Self.enableIPv6(host, name) }
            for name in ["lo", "veth0", "veth1"] { try host.setUp(name, true) }
            // The kernel gives veth0 its fe80::/64 once the pair has carrier; lo gets 127.0.0.1/8, ::1.
            let deadline = ContinuousClock.now + .seconds(10)
            while !(try ns.ip(["-o", "address", "show", "dev", "veth0"]).contains("inet6 fe80:")) {
                try #require(ContinuousClock.now < deadline, "no link-local address on veth0")
                Thread.sleep(forTimeInterval: 0.05)
            }
            #expect(try ns.ip(["-o", "address", "show", "dev", "lo"]).contains("inet 127.0.0.1/8 scope host"))
            #expect(try host.addresses(of: nil).isEmpty)
            // A link-local /64 of a hook's own (not the MAC's EUI-64) is listed.
            let own = InterfaceAddress(address: "fe80::1/64", device: "veth0")
            try host.addAddress(own)
            #expect(try ns.ip(["-o", "address", "show", "dev", "veth0"]).contains("inet6 fe80::1/64 "))
            #expect(try host.addresses(of: "veth0") == [own])
            try host.deleteAddress(own)
            // Other lengths and scopes are listed.
            try host.addAddress(InterfaceAddress(address: "fe80::2/128", device: "veth0"))
            try host.addAddress(InterfaceAddress(address: "10.99.0.1/8", device: "lo"))
            try host.addAddress(InterfaceAddress(address: "127.0.0.2/8", device: "lo"))  // scope host, as `ip` adds it
            #expect(try ns.ip(["-o", "address", "show", "dev", "lo"]).contains("inet 127.0.0.2/8 scope host"))
            #expect(
                Set(try host.addresses(of: nil)) == [
                    InterfaceAddress(address: "fe80::2/128", device: "veth0"),
                    InterfaceAddress(address: "10.99.0.1/8", device: "lo"),
                ])
        }
    }

    @Test func anIPv6AddressNeedsIPv6OnTheLinkAndTurningItOffDropsThem() throws {
        let ns = try Self.namespaceWithVeth()
        try ns.run {
            let host = try LinuxHost()
            try Self.enableIPv6(host, "veth0")
            try host.addAddress(InterfaceAddress(address: "2001:db8::1/64", device: "veth0"))
            try host.addAddress(InterfaceAddress(address: "192.0.2.1/24", device: "veth0"))
            try host.addProxyNeighbour(ProxyNeighbour(address: "2001:db8::5", device: "veth0"))
            try host.addProxyNeighbour(ProxyNeighbour(address: "192.0.2.5", device: "veth0"))
            try host.setSysctl("net/ipv6/conf/veth0/disable_ipv6", "1")
            #expect(try host.addresses(of: "veth0") == [InterfaceAddress(address: "192.0.2.1/24", device: "veth0")])
            #expect(try host.proxyNeighbours() == [ProxyNeighbour(address: "192.0.2.5", device: "veth0")])
            let refused = #expect(throws: HostNetError.self) {
                try host.addAddress(InterfaceAddress(address: "2001:db8::1/64", device: "veth0"))
            }
            #expect(refused?.code == .kernel && refused?.errno == .permissionDenied)
            #expect(refused?.detail == "ipv6: IPv6 is disabled on this device")
            // A proxy entry is taken all the same.
            try host.addProxyNeighbour(ProxyNeighbour(address: "2001:db8::6", device: "veth0"))
            #expect(try Self.shownProxies(ns).contains(ProxyNeighbour(address: "2001:db8::6", device: "veth0")))
        }
    }

    @Test func deletingThePrimaryIPv4AddressOfASubnetDeletesItsSecondaries() throws {
        let ns = try Self.namespaceWithVeth()
        try ns.run {
            let host = try LinuxHost()
            func address(_ text: String) -> InterfaceAddress { InterfaceAddress(address: text, device: "veth0") }
            for text in ["10.99.0.1/24", "10.99.0.2/24", "10.99.0.3/24", "10.99.0.4/25", "10.99.1.1/24"] {
                try host.addAddress(address(text))
            }
            try host.deleteAddress(address("10.99.0.3/24"))  // a secondary: only itself
            #expect(Set(try host.addresses(of: "veth0")).count == 4)
            try host.deleteAddress(address("10.99.0.1/24"))  // the primary: 10.99.0.2/24 with it
            let left: Set = [address("10.99.0.4/25"), address("10.99.1.1/24")]
            #expect(Set(try host.addresses(of: "veth0")) == left)
            #expect(try Self.shown(ns) == left)

            try host.setSysctl("net/ipv4/conf/veth0/promote_secondaries", "1")
            try host.addAddress(address("10.99.2.1/24"))
            try host.addAddress(address("10.99.2.2/24"))
            try host.deleteAddress(address("10.99.2.1/24"))  // 10.99.2.2/24 is promoted and stays
            #expect(Set(try host.addresses(of: "veth0")) == left.union([address("10.99.2.2/24")]))
        }
    }

    @Test func goingDownDropsTheIPv6AddressesAndProxyEntriesOfALink() throws {
        let ns = try Self.namespaceWithVeth()
        try ns.run {
            let host = try LinuxHost()
            for name in ["veth0", "veth1"] { try Self.enableIPv6(host, name) }
            let v4 = InterfaceAddress(address: "192.0.2.1/24", device: "veth0")
            let entries = [
                ProxyNeighbour(address: "192.0.2.5", device: "veth0"),
                ProxyNeighbour(address: "2001:db8::5", device: "veth0"),
            ]
            // Added while the link is down: kept until it goes down from up.
            try host.addAddress(InterfaceAddress(address: "2001:db8::1/64", device: "veth1"))
            try host.addProxyNeighbour(ProxyNeighbour(address: "2001:db8::7", device: "veth1"))
            try host.setUp("veth1", false)
            #expect(try host.addresses(of: "veth1").count == 1 && (try host.proxyNeighbours()).count == 1)

            try host.setUp("veth0", true)
            try host.addAddress(v4)
            try host.addAddress(InterfaceAddress(address: "2001:db8::2/64", device: "veth0"))
            for entry in entries { try host.addProxyNeighbour(entry) }
            try host.setUp("veth0", false)
            #expect(try host.addresses(of: "veth0") == [v4])
            #expect(try Self.shown(ns, "veth0") == [v4])
            #expect(try host.proxyNeighbours() == [ProxyNeighbour(address: "2001:db8::7", device: "veth1")])
            #expect(try Self.shownProxies(ns) == [ProxyNeighbour(address: "2001:db8::7", device: "veth1")])

            // keep_addr_on_down keeps the IPv6 addresses (not the proxy entries).
            try host.setSysctl("net/ipv6/conf/veth0/keep_addr_on_down", "1")
            try host.setUp("veth0", true)
            try host.addAddress(InterfaceAddress(address: "2001:db8::2/64", device: "veth0"))
            try host.addProxyNeighbour(entries[1])
            try host.setUp("veth0", false)
            #expect(
                Set(try host.addresses(of: "veth0")) == [
                    v4, InterfaceAddress(address: "2001:db8::2/64", device: "veth0"),
                ])
            #expect(!(try host.proxyNeighbours()).contains(entries[1]))
        }
    }

    @Test func proxyNeighboursAreAddedListedAndDeletedAsIpShowsThem() throws {
        let ns = try Self.namespaceWithVeth()
        try ns.run {
            let host = try LinuxHost()
            #expect(try host.proxyNeighbours().isEmpty)
            let given = [
                ProxyNeighbour(address: "192.0.2.5", device: "veth0"),
                ProxyNeighbour(address: "2001:DB8:0:0::5", device: "veth0"),
                ProxyNeighbour(address: "2001:db8::5", device: "veth1"),  // the same address on another link
            ]
            for entry in given { try host.addProxyNeighbour(entry) }  // on links that are down
            let expected: Set = [
                ProxyNeighbour(address: "192.0.2.5", device: "veth0"),
                ProxyNeighbour(address: "2001:db8::5", device: "veth0"),
                ProxyNeighbour(address: "2001:db8::5", device: "veth1"),
            ]
            let listed = try host.proxyNeighbours()
            #expect(Set(listed) == expected && listed.count == 3 && listed.first == given[0])
            #expect(try Self.shownProxies(ns) == expected)

            // The kernel would take it again without a word: refused here.
            let twice = #expect(throws: HostNetError.self) {
                try host.addProxyNeighbour(ProxyNeighbour(address: "2001:db8:0::5", device: "veth0"))
            }
            #expect(twice?.code == .kernel && twice?.errno == .fileExists)
            #expect(twice?.detail == "proxy 2001:db8::5 dev veth0 exists")
            #expect(twice?.description.hasPrefix("neigh_add proxy 2001:db8:0::5 dev veth0: File exists") == true)

            for entry in given { try host.deleteProxyNeighbour(entry) }
            #expect(try host.proxyNeighbours().isEmpty)
            #expect(try Self.shownProxies(ns).isEmpty)
            let gone = ProxyNeighbour(address: "192.0.2.5", device: "veth0")
            #expect(
                throws: HostNetError(
                    .notFound, "neigh_del \(gone)", detail: "no such proxy neighbour",
                    errno: .noSuchFileOrDirectory)
            ) { try host.deleteProxyNeighbour(gone) }
        }
    }

    @Test func proxyNeighboursNeedALinkAndAnAddress() throws {
        let ns = try Self.namespaceWithVeth()
        try ns.run {
            let host = try LinuxHost()
            let elsewhere = ProxyNeighbour(address: "192.0.2.5", device: "tap9")
            #expect(throws: HostNetError(.notFound, "neigh_add \(elsewhere)", detail: "no link tap9")) {
                try host.addProxyNeighbour(elsewhere)
            }
            #expect(throws: HostNetError(.notFound, "neigh_del \(elsewhere)", detail: "no link tap9")) {
                try host.deleteProxyNeighbour(elsewhere)
            }
            for address in ["192.0.2.5/32", "2001:db8::5/128", "010.099.000.001", "192.0.2.256", ""] {
                let error = #expect(throws: HostNetError.self) {
                    try host.addProxyNeighbour(ProxyNeighbour(address: address, device: "veth0"))
                }
                #expect(error?.code == .invalid, "\(address)")
            }
            let badName = #expect(throws: HostNetError.self) {
                try host.addProxyNeighbour(ProxyNeighbour(address: "192.0.2.5", device: "a/b"))
            }
            #expect(badName?.code == .invalid)
        }
    }

    @Test func aLinkThatIsDeletedTakesItsAddressesAndProxyEntries() throws {
        let ns = try Self.namespaceWithVeth()
        try ns.run {
            let host = try LinuxHost()
            let tap = try Tap.create(name: "tap0", vnetHeader: false)
            for name in ["veth0", "tap0"] {
                try Self.enableIPv6(host, name)
                try host.addAddress(InterfaceAddress(address: "2001:db8::1/64", device: name))
                try host.addAddress(InterfaceAddress(address: "192.0.2.1/24", device: name))
                try host.addProxyNeighbour(ProxyNeighbour(address: "192.0.2.5", device: name))
                try host.addProxyNeighbour(ProxyNeighbour(address: "2001:db8::5", device: name))
            }
            #expect(try host.addresses(of: nil).count == 4 && (try host.proxyNeighbours()).count == 4)
            tap.close()  // the tap's last fd: the kernel deletes it
            #expect(try host.link("tap0") == nil)
            #expect(try host.addresses(of: nil).allSatisfy { $0.device == "veth0" })
            #expect(try host.proxyNeighbours().allSatisfy { $0.device == "veth0" })
            try ns.ip(["link", "delete", "veth0"])
            #expect(try host.addresses(of: nil).isEmpty && (try host.proxyNeighbours()).isEmpty)
            #expect(try Self.shown(ns).isEmpty && (try Self.shownProxies(ns)).isEmpty)
        }
    }

    @Test func anIPv4RouteWithHostBitsIsRefusedAndAnIPv6OneLosesThem() throws {
        let ns = try NetworkNamespace()
        try ns.run {
            let host = try LinuxHost()
            let tap = try Tap.create(name: "tap0", vnetHeader: false)
            defer { tap.close() }
            try Self.enableIPv6(host, "tap0")
            let hostBits = Route(destination: "10.99.0.5/24", device: "tap0")
            // Refused before the link's state is looked at: the same on a link that is down.
            for up in [false, true] {
                try host.setUp("tap0", up)
                #expect(
                    throws: HostNetError(
                        .kernel, "route_replace \(hostBits)", detail: "Invalid prefix for given prefix length",
                        errno: .invalidArgument)
                ) { try host.replaceRoute(hostBits) }
            }
            #expect(
                throws: HostNetError(
                    .kernel, "route_del \(hostBits)", detail: "Invalid prefix for given prefix length",
                    errno: .invalidArgument)
            ) { try host.deleteRoute(hostBits) }
            try host.replaceRoute(Route(destination: "2001:DB8:0:0::5/64", device: "tap0", table: 100))
            try host.replaceRoute(Route(destination: "2001:DB8::7", device: "tap0", table: 100))
            #expect(
                Set(try host.routes(table: 100)) == [
                    Route(destination: "2001:db8::/64", device: "tap0", table: 100),
                    Route(destination: "2001:db8::7/128", device: "tap0", table: 100),
                ])
            try host.deleteRoute(Route(destination: "2001:db8::9/64", device: "tap0", table: 100))  // cleared too
            #expect(try host.routes(table: 100) == [Route(destination: "2001:db8::7/128", device: "tap0", table: 100)])
        }
    }
}
