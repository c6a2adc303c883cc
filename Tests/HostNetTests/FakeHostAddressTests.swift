import SystemPackage
import Testing

@testable import HostNet

/// ``FakeHost``'s addresses, proxy neighbours and route destinations: the same cases as
/// `LinuxHostAddressTests` runs on the kernel, with the same answers and refusals, each write one
/// line in `calls`, and everything in the kernel's spelling.
@Suite("Fake host addresses and proxy neighbours")
struct FakeHostAddressTests {
    /// A host with `veth0` and `veth1` (down) and their IPv6 sysctls, as a node has them.
    static func host() -> FakeHost {
        let host = FakeHost()
        for name in ["veth0", "veth1"] {
            host.addLink(name, kind: "veth")
            host.state.sysctls["net/ipv6/conf/\(name)/disable_ipv6"] = "0"
            host.state.sysctls["net/ipv6/conf/\(name)/keep_addr_on_down"] = "0"
            host.state.sysctls["net/ipv4/conf/\(name)/promote_secondaries"] = "0"
        }
        return host
    }

    static func address(_ text: String, _ device: String = "veth0") -> InterfaceAddress {
        InterfaceAddress(address: text, device: device)
    }

    static func proxy(_ text: String, _ device: String = "veth0") -> ProxyNeighbour {
        ProxyNeighbour(address: text, device: device)
    }

    @Test func addressesAreAddedListedAndDeletedInTheKernelsSpelling() throws {
        let host = Self.host()
        let given = [
            Self.address("192.0.2.1/24"), Self.address("192.0.2.1/25"), Self.address("10.99.0.1"),
            Self.address("2001:db8::1/64"), Self.address("2001:DB8:0:0::2/64"), Self.address("10.99.1.1/24", "veth1"),
        ]
        for address in given { try host.addAddress(address) }
        let expected: Set = [
            Self.address("192.0.2.1/24"), Self.address("192.0.2.1/25"), Self.address("10.99.0.1/32"),
            Self.address("2001:db8::1/64"), Self.address("2001:db8::2/64"),
        ]
        #expect(
            try host.addresses(of: "veth0") == [
                Self.address("10.99.0.1/32"), Self.address("192.0.2.1/24"), Self.address("192.0.2.1/25"),
                Self.address("2001:db8::1/64"), Self.address("2001:db8::2/64"),
            ])
        #expect(Set(try host.addresses(of: nil)) == expected.union([Self.address("10.99.1.1/24", "veth1")]))
        #expect(host.state.addresses == expected.union([Self.address("10.99.1.1/24", "veth1")]))
        #expect(
            host.calls == [
                "address_add 192.0.2.1/24 dev veth0", "address_add 192.0.2.1/25 dev veth0",
                "address_add 10.99.0.1/32 dev veth0", "address_add 2001:db8::1/64 dev veth0",
                "address_add 2001:db8::2/64 dev veth0", "address_add 10.99.1.1/24 dev veth1",
            ])
        #expect(host.log.entries == host.calls)
        for address in given { try host.deleteAddress(address) }
        #expect(try host.addresses(of: nil).isEmpty && host.state.addresses.isEmpty)
        #expect(host.calls.last == "address_del 10.99.1.1/24 dev veth1")
        #expect(host.calls[8] == "address_del 10.99.0.1/32 dev veth0")
    }

    @Test func aSecondAddIsRefusedAndAReplaceKeepsWhatIsThere() throws {
        let host = Self.host()
        let v4 = Self.address("192.0.2.1/24")
        let v6 = Self.address("2001:db8::1/64")
        try host.addAddress(v4)
        try host.addAddress(v6)
        #expect(
            throws: HostNetError(
                .kernel, "address_add \(v4)", detail: "ipv4: Address already assigned", errno: .fileExists)
        ) { try host.addAddress(v4) }
        for text in ["2001:db8::1/64", "2001:db8::1/128", "2001:DB8::1/48"] {
            let again = #expect(throws: HostNetError.self) { try host.addAddress(Self.address(text)) }
            #expect(again?.code == .kernel && again?.errno == .fileExists, "\(text)")
            #expect(again?.detail == "ipv6: address already assigned")
        }
        #expect(host.calls.count == 2)  // refusals are not calls made
        try host.replaceAddress(v4)
        try host.replaceAddress(v6)
        try host.replaceAddress(Self.address("2001:db8::1/128"))
        #expect(Set(try host.addresses(of: "veth0")) == [v4, v6])
        try host.replaceAddress(Self.address("192.0.2.1/25"))
        try host.replaceAddress(Self.address("2001:DB8::3/64"))
        #expect(
            Set(try host.addresses(of: "veth0")) == [
                v4, v6, Self.address("192.0.2.1/25"), Self.address("2001:db8::3/64"),
            ])
        #expect(
            host.calls.suffix(5) == [
                "address_replace 192.0.2.1/24 dev veth0", "address_replace 2001:db8::1/64 dev veth0",
                "address_replace 2001:db8::1/128 dev veth0", "address_replace 192.0.2.1/25 dev veth0",
                "address_replace 2001:db8::3/64 dev veth0",
            ])
    }

    @Test func whatIsNotThereIsNotFoundAndBadAddressesAreRefused() throws {
        let host = Self.host()
        try host.addAddress(Self.address("192.0.2.1/24"))
        try host.addAddress(Self.address("2001:db8::1/64"))
        for text in ["192.0.2.9/24", "192.0.2.1/23", "2001:db8::1/128", "2001:db8::9/64"] {
            let missing = Self.address(text)
            #expect(
                throws: HostNetError(
                    .notFound, "address_del \(missing)", detail: "no such address", errno: .addressNotAvailable)
            ) { try host.deleteAddress(missing) }
        }
        let elsewhere = Self.address("192.0.2.1/24", "tap9")
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
        for text in [
            "010.099.000.001/24", "192.0.2.1/33", "2001:db8::1/129", "192.0.2.1/+24", "192.0.2.1/", "veth0", "",
        ] {
            let error = #expect(throws: HostNetError.self) { try host.addAddress(Self.address(text)) }
            #expect(error?.code == .invalid, "\(text)")
        }
        let badName = #expect(throws: HostNetError.self) { try host.addAddress(Self.address("192.0.2.1/24", "a/b")) }
        #expect(badName?.code == .invalid)
        #expect(
            throws: HostNetError(
                .invalid, "address_add 010.099.000.001 dev veth0",
                detail: "010.099.000.001 is not an address or address/length")
        ) { try host.addAddress(Self.address("010.099.000.001")) }
        #expect(host.calls.count == 2)
    }

    @Test func theKernelsOwnAddressesAreNotListed() throws {
        let host = Self.host()
        host.addLink("lo", up: true)
        // What the kernel makes, put in as a test would describe a node.
        host.state.addresses = [
            Self.address("fe80::5054:ff:fe12:3456/64"), Self.address("127.0.0.1/8", "lo"),
            Self.address("::1/128", "lo"),
        ]
        #expect(try host.addresses(of: nil).isEmpty)
        // A link-local /64 of a hook's own (not the MAC's EUI-64) is listed.
        try host.addAddress(Self.address("fe80::1/64"))
        #expect(try host.addresses(of: "veth0") == [Self.address("fe80::1/64")])
        try host.deleteAddress(Self.address("fe80::1/64"))
        try host.addAddress(Self.address("fe80::2/128"))
        try host.addAddress(Self.address("10.99.0.1/8", "lo"))
        try host.addAddress(Self.address("127.0.0.2/8", "lo"))
        #expect(Set(try host.addresses(of: nil)) == [Self.address("fe80::2/128"), Self.address("10.99.0.1/8", "lo")])
        #expect(host.state.addresses.count == 6)
    }

    @Test func anIPv6AddressNeedsIPv6OnTheLinkAndTurningItOffDropsThem() throws {
        let host = Self.host()
        try host.addAddress(Self.address("2001:db8::1/64"))
        try host.addAddress(Self.address("192.0.2.1/24"))
        try host.addProxyNeighbour(Self.proxy("2001:db8::5"))
        try host.addProxyNeighbour(Self.proxy("192.0.2.5"))
        try host.addAddress(Self.address("2001:db8::1/64", "veth1"))
        try host.setSysctl("net/ipv6/conf/veth0/disable_ipv6", "1")
        #expect(try host.addresses(of: "veth0") == [Self.address("192.0.2.1/24")])
        #expect(try host.addresses(of: "veth1") == [Self.address("2001:db8::1/64", "veth1")])
        #expect(try host.proxyNeighbours() == [Self.proxy("192.0.2.5")])
        #expect(
            throws: HostNetError(
                .kernel, "address_add 2001:db8::1/64 dev veth0", detail: "ipv6: IPv6 is disabled on this device",
                errno: .permissionDenied)
        ) { try host.addAddress(Self.address("2001:db8::1/64")) }
        try host.addProxyNeighbour(Self.proxy("2001:db8::6"))
        try host.setSysctl("net/ipv6/conf/veth0/disable_ipv6", "1")  // no change: nothing dropped
        #expect(try host.proxyNeighbours().contains(Self.proxy("2001:db8::6")))
    }

    @Test func deletingThePrimaryIPv4AddressOfASubnetDeletesItsSecondaries() throws {
        let host = Self.host()
        for text in ["10.99.0.1/24", "10.99.0.2/24", "10.99.0.3/24", "10.99.0.4/25", "10.99.1.1/24"] {
            try host.addAddress(Self.address(text))
        }
        try host.deleteAddress(Self.address("10.99.0.3/24"))
        #expect(host.state.addresses.count == 4)
        try host.deleteAddress(Self.address("10.99.0.1/24"))
        let left: Set = [Self.address("10.99.0.4/25"), Self.address("10.99.1.1/24")]
        #expect(Set(try host.addresses(of: "veth0")) == left)
        #expect(host.calls.suffix(2) == ["address_del 10.99.0.3/24 dev veth0", "address_del 10.99.0.1/24 dev veth0"])

        try host.setSysctl("net/ipv4/conf/veth0/promote_secondaries", "1")
        try host.addAddress(Self.address("10.99.2.1/24"))
        try host.addAddress(Self.address("10.99.2.2/24"))
        try host.deleteAddress(Self.address("10.99.2.1/24"))
        #expect(Set(try host.addresses(of: "veth0")) == left.union([Self.address("10.99.2.2/24")]))

        // An address put in the state directly counts as added before the calls'.
        let other = Self.host()
        other.state.addresses = [Self.address("10.99.3.9/24")]
        try other.addAddress(Self.address("10.99.3.1/24"))
        try other.deleteAddress(Self.address("10.99.3.1/24"))  // a secondary
        #expect(other.state.addresses == [Self.address("10.99.3.9/24")])
        try other.addAddress(Self.address("10.99.3.1/24"))
        try other.deleteAddress(Self.address("10.99.3.9/24"))  // the primary
        #expect(other.state.addresses.isEmpty)
    }

    @Test func goingDownDropsTheIPv6AddressesAndProxyEntriesOfALink() throws {
        let host = Self.host()
        let v4 = Self.address("192.0.2.1/24")
        let entries = [Self.proxy("192.0.2.5"), Self.proxy("2001:db8::5")]
        try host.addAddress(Self.address("2001:db8::1/64", "veth1"))
        try host.addProxyNeighbour(Self.proxy("2001:db8::7", "veth1"))
        try host.setUp("veth1", false)
        #expect(try host.addresses(of: "veth1").count == 1 && (try host.proxyNeighbours()).count == 1)

        try host.setUp("veth0", true)
        try host.addAddress(v4)
        try host.addAddress(Self.address("2001:db8::2/64"))
        for entry in entries { try host.addProxyNeighbour(entry) }
        try host.setUp("veth0", false)
        #expect(try host.addresses(of: "veth0") == [v4])
        #expect(try host.proxyNeighbours() == [Self.proxy("2001:db8::7", "veth1")])

        try host.setSysctl("net/ipv6/conf/veth0/keep_addr_on_down", "1")
        try host.setUp("veth0", true)
        try host.addAddress(Self.address("2001:db8::2/64"))
        try host.addProxyNeighbour(entries[1])
        try host.changeLink("veth0", LinkChange(up: false))
        #expect(Set(try host.addresses(of: "veth0")) == [v4, Self.address("2001:db8::2/64")])
        #expect(!(try host.proxyNeighbours()).contains(entries[1]))
    }

    @Test func proxyNeighboursAreAddedListedAndDeletedInTheKernelsSpelling() throws {
        let host = Self.host()
        #expect(try host.proxyNeighbours().isEmpty)
        let given = [Self.proxy("2001:DB8:0:0::5"), Self.proxy("2001:db8::5", "veth1"), Self.proxy("192.0.2.5")]
        for entry in given { try host.addProxyNeighbour(entry) }
        #expect(
            try host.proxyNeighbours() == [
                Self.proxy("192.0.2.5"), Self.proxy("2001:db8::5"), Self.proxy("2001:db8::5", "veth1"),
            ])
        #expect(
            host.calls == [
                "neigh_add proxy 2001:db8::5 dev veth0", "neigh_add proxy 2001:db8::5 dev veth1",
                "neigh_add proxy 192.0.2.5 dev veth0",
            ])
        #expect(
            throws: HostNetError(
                .kernel, "neigh_add proxy 2001:db8:0::5 dev veth0", detail: "proxy 2001:db8::5 dev veth0 exists",
                errno: .fileExists)
        ) { try host.addProxyNeighbour(Self.proxy("2001:db8:0::5")) }
        for entry in given { try host.deleteProxyNeighbour(entry) }
        #expect(try host.proxyNeighbours().isEmpty && host.state.proxyNeighbours.isEmpty)
        #expect(host.calls.suffix(3).first == "neigh_del proxy 2001:db8::5 dev veth0")
        let gone = Self.proxy("192.0.2.5")
        #expect(
            throws: HostNetError(
                .notFound, "neigh_del \(gone)", detail: "no such proxy neighbour", errno: .noSuchFileOrDirectory)
        ) { try host.deleteProxyNeighbour(gone) }
        #expect(host.calls.count == 6)
    }

    @Test func proxyNeighboursNeedALinkAndAnAddress() throws {
        let host = Self.host()
        let elsewhere = Self.proxy("192.0.2.5", "tap9")
        #expect(throws: HostNetError(.notFound, "neigh_add \(elsewhere)", detail: "no link tap9")) {
            try host.addProxyNeighbour(elsewhere)
        }
        #expect(throws: HostNetError(.notFound, "neigh_del \(elsewhere)", detail: "no link tap9")) {
            try host.deleteProxyNeighbour(elsewhere)
        }
        for text in ["192.0.2.5/32", "2001:db8::5/128", "010.099.000.001", "192.0.2.256", ""] {
            let error = #expect(throws: HostNetError.self) { try host.addProxyNeighbour(Self.proxy(text)) }
            #expect(error?.code == .invalid, "\(text)")
        }
        let badName = #expect(throws: HostNetError.self) { try host.addProxyNeighbour(Self.proxy("192.0.2.5", "a/b")) }
        #expect(badName?.code == .invalid)
        #expect(host.calls.isEmpty)
    }

    @Test func aRemovedLinkTakesItsAddressesAndProxyEntries() throws {
        let host = Self.host()
        for name in ["veth0", "veth1"] {
            try host.addAddress(Self.address("2001:db8::1/64", name))
            try host.addAddress(Self.address("192.0.2.1/24", name))
            try host.addProxyNeighbour(Self.proxy("192.0.2.5", name))
            try host.addProxyNeighbour(Self.proxy("2001:db8::5", name))
        }
        host.removeLink("veth0")
        #expect(host.state.addresses.allSatisfy { $0.device == "veth1" } && host.state.addresses.count == 2)
        #expect(host.state.proxyNeighbours.allSatisfy { $0.device == "veth1" } && host.state.proxyNeighbours.count == 2)
        // A link of that name to come starts with none; the removal is no call.
        host.addLink("veth0")
        #expect(try host.addresses(of: "veth0").isEmpty)
        #expect(!host.calls.contains { $0.hasPrefix("address_del") || $0.hasPrefix("neigh_del") })
    }

    @Test func routeDestinationsAreStoredAndListedInTheKernelsSpelling() throws {
        let host = Self.host()
        try host.setUp("veth0", true)
        try host.replaceRoute(Route(destination: "2001:DB8:0::5", device: "veth0"))
        try host.replaceRoute(Route(destination: "2001:DB8:0:0::6/128", device: "veth0", table: 100))
        try host.replaceRoute(Route(destination: "10.99.0.5", device: "veth0"))
        try host.replaceRoute(Route(destination: "2001:db8:1::5/64", device: "veth0", table: 100))  // host bits go
        #expect(
            try host.routes(table: nil) == [
                Route(destination: "10.99.0.5/32", device: "veth0"),
                Route(destination: "2001:db8:1::/64", device: "veth0", table: 100),
                Route(destination: "2001:db8::5/128", device: "veth0"),
                Route(destination: "2001:db8::6/128", device: "veth0", table: 100),
            ])
        #expect(
            host.calls.suffix(4) == [
                "route_replace 2001:db8::5/128 dev veth0 table 254 proto 4",
                "route_replace 2001:db8::6/128 dev veth0 table 100 proto 4",
                "route_replace 10.99.0.5/32 dev veth0 table 254 proto 4",
                "route_replace 2001:db8:1::/64 dev veth0 table 100 proto 4",
            ])
        // Another spelling of a destination replaces the route, and deletes it.
        try host.replaceRoute(Route(destination: "2001:db8::5/128", device: "veth0", proto: 3))
        #expect(try host.routes(table: Route.mainTable).filter { $0.destination == "2001:db8::5/128" }.count == 1)
        try host.deleteRoute(Route(destination: "2001:DB8::5", device: "veth0", proto: 3))
        try host.deleteRoute(Route(destination: "2001:db8:1::9/64", device: "veth0", table: 100))
        #expect(try host.routes(table: nil).count == 2)

        // Routes a test puts in the state as a hook would write them are listed, replaced and
        // deleted as the kernel's.
        host.state.routes.insert(Route(destination: "2001:DB8::8", device: "veth0"))
        #expect(try host.routes(table: nil).contains(Route(destination: "2001:db8::8/128", device: "veth0")))
        try host.replaceRoute(Route(destination: "2001:db8::8/128", device: "veth0"))
        #expect(host.state.routes.count == 3)
        try host.deleteRoute(Route(destination: "2001:db8::8/128", device: "veth0"))
        #expect(host.state.routes.count == 2)
    }

    @Test func badDestinationsAreRefusedAsTheKernelAndLinuxHostRefuseThem() throws {
        let host = Self.host()
        let hostBits = Route(destination: "10.99.0.5/24", device: "veth0")
        for up in [false, true] {
            try host.setUp("veth0", up)
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
        for destination in ["010.099.000.001", "010.099.000.001/32", "10.99.0.300/32", "10.99.0.5/33", "tap0"] {
            let route = Route(destination: destination, device: "veth0")
            #expect(
                throws: HostNetError(
                    .invalid, "route_replace \(route)", detail: "\(destination) is not an address or prefix")
            ) { try host.replaceRoute(route) }
        }
        try host.replaceRoute(Route(destination: "10.99.0.0/24", device: "veth0"))
        #expect(host.calls.last == "route_replace 10.99.0.0/24 dev veth0 table 254 proto 4")
    }
}
