import Foundation
import Hooks
import HostNet
import Logging
import QEMU
import TestSupport
import Testing

/// The three ports of published Ganeti NIC scripts under examples/hooks, each brought up and
/// down for real in a namespace of its own, with the commands they run (ebtables, arptables,
/// iptables, bird) acting there: what up makes is there, and down leaves the namespace, its
/// firewall and the files as they were.
@Suite(
    "The example ports on a real kernel", .serialized,
    .enabled(if: NetworkNamespace.isAvailable, "\(NetworkNamespace.unavailableReason ?? "")"))
struct ExamplePortsKernelTests {
    /// Why the programs cannot be run here, or nil.
    static func missing(_ programs: [String]) -> String? {
        let absent = programs.filter { !FileManager.default.isExecutableFile(atPath: $0) }
        guard !absent.isEmpty else { return nil }
        return "needs \(absent.joined(separator: ", ")) (scripts/setup.sh installs ebtables, arptables, iptables,"
            + " nftables and bird2)"
    }
    static let firewallMissing = missing([
        "/usr/sbin/ebtables", "/usr/sbin/arptables", "/usr/sbin/iptables", "/usr/sbin/ip6tables", "/usr/sbin/nft",
    ])
    static let birdMissing = missing(["/usr/sbin/bird", "/usr/sbin/birdc"])

    let folder = TemporaryFolder()

    /// The example as a site hooks dir of the test's, with its settings module replaced (paths
    /// under the test's folder), and the node allowing file writes under `files`.
    func site(
        _ example: String, mode: String, config: String, settings: String, files: [String]
    )
        -> HookDirectories
    {
        let source = "\(Repository.path)/examples/hooks/\(example)/network/\(mode).lua"
        folder.write("site/network/\(mode).lua", (try? String(contentsOfFile: source, encoding: .utf8)) ?? "")
        folder.write("site/lua/\(config).lua", settings)
        for path in files { try? FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true) }
        return HookDirectories(
            builtin: Repository.path + "/hooks", site: folder.path + "/site", library: Repository.path + "/lua",
            files: files)
    }

    func runner(_ directories: HookDirectories) -> NetworkHookRunner {
        NetworkHookRunner(
            directories: directories, stateDirectory: folder.path + "/state", logger: Logger(label: "test"))
    }

    /// `argv` run inside the namespace (`ip netns exec`), its output; a failure fails the test.
    @discardableResult
    func inside(_ ns: NetworkNamespace, _ argv: [String]) throws -> String {
        let result = try BlockingCommand.run(
            [NetworkNamespace.ipPath, "netns", "exec", ns.name] + argv, timeout: .seconds(30))
        #expect(result.status == 0, "\(argv.joined(separator: " ")): \(result.standardError)")
        return result.standardOutput
    }

    /// Every firewall of the namespace as nftables has it (the ebtables, arptables and iptables
    /// of Debian 12 are its front ends). A front end makes its table and built-in chains when
    /// first used and keeps them, as on a node whose firewall is set up: so they are made first,
    /// by a rule added to each built-in chain and deleted, and what is compared is what hooks add.
    func firewall(_ ns: NetworkNamespace) throws -> String {
        for (program, chains) in [
            ("ebtables", ["INPUT", "FORWARD", "OUTPUT"]), ("arptables", ["INPUT", "OUTPUT"]),
            ("iptables", ["INPUT", "FORWARD", "OUTPUT"]), ("ip6tables", ["INPUT", "FORWARD", "OUTPUT"]),
        ] {
            for chain in chains {
                try inside(ns, ["/usr/sbin/" + program, "-A", chain, "-j", "ACCEPT"])
                try inside(ns, ["/usr/sbin/" + program, "-D", chain, "-j", "ACCEPT"])
            }
        }
        return try inside(ns, ["/usr/sbin/nft", "list", "ruleset"])
    }

    /// Brings `nic` up and down through the example's hook on a tap of its own in `ns`, with
    /// `check` between: down must leave the links, routes, rules, addresses, proxy entries and
    /// the firewall as they were.
    /// `phases` are the ups in order (a migration target's `pre` then `post`), `check` runs after
    /// each with the phase it followed.
    func upThenDown(
        _ ns: NetworkNamespace, _ directories: HookDirectories, _ nic: NICSpec, tags: [String] = [],
        phases: [NetworkHookRunner.Phase?] = [nil], check: (LinuxHost, NetworkHookRunner.Phase?) throws -> Void
    ) throws {
        let before = try firewall(ns)
        try ns.run {
            let host = try LinuxHost()
            let tap = try Tap.create(name: "tap0", vnetHeader: true)
            defer { tap.close() }
            let snapshot = try NamespaceSnapshot(host)
            let runner = runner(directories)
            for phase in phases {
                try runner.up(
                    instance: "web1", tags: tags, nic: nic, index: 0, interface: "tap0", phase: phase, network: host,
                    ovs: nil)
                try check(host, phase)
            }
            try runner.down(
                instance: "web1", tags: tags, nic: nic, index: 0, interface: "tap0", network: host, ovs: nil)
            #expect(try NamespaceSnapshot(host) == snapshot)
        }
        let after = try firewall(ns)
        #expect(after == before, "before:\n\(before)\nafter:\n\(after)")
    }

    @Test(.enabled(if: firewallMissing == nil, "\(firewallMissing ?? "")"))
    func gntNetworkingFiltersMACsAndWritesNfdhcpdsFileThenLeavesNothing() throws {
        let ns = try NetworkNamespace.bridged()
        let nfdhcpd = folder.path + "/nfdhcpd"
        let directories = site(
            "gnt-networking", mode: "bridged", config: "gnt_networking_config",
            settings: """
                return { ebtables = { "/usr/sbin/ebtables" }, mac_mask = "ff:ff:f0:00:00:00", nfdhcpd_dir = "\(nfdhcpd)" }
                """, files: [nfdhcpd])
        let nic = NICSpec(
            mac: "aa:00:00:12:34:56", ip: "10.0.5.7", uuid: "003fc157-66a8-4e6d-8b7e-ec4f69751396", mode: "bridged",
            link: "br0",
            netinfo: NetworkInfo(
                name: "private5", subnet: "10.0.5.0/24", subnet6: "2001:db8:5::/64",
                tags: ["private-filtered", "nfdhcpd"]))
        try upThenDown(ns, directories, nic) { host, _ in
            #expect(try host.link("tap0")?.master == "br0")
            let rules = try inside(ns, ["/usr/sbin/ebtables", "-L"])
            #expect(rules.contains("Bridge chain: FROMTAP0, entries: 1, policy: RETURN"), "\(rules)")
            #expect(rules.contains("-s ! aa:00:00:12:34:56 -j DROP"), "\(rules)")
            #expect(rules.contains("-s ! aa:00:00:00:00:00/ff:ff:f0:00:00:00 -j DROP"), "\(rules)")
            #expect(rules.contains("-i tap0 -j FROMTAP0") && rules.contains("-o tap0 -j TOTAP0"), "\(rules)")
            let lease = try String(contentsOfFile: nfdhcpd + "/tap0", encoding: .utf8)
            #expect(lease.contains("IP=10.0.5.7\n") && lease.contains("EUI64=2001:db8:5:0:a800:ff:fe12:3456\n"))
        }
        #expect(!FileManager.default.fileExists(atPath: nfdhcpd + "/tap0"))
    }

    @Test(.enabled(if: firewallMissing == nil, "\(firewallMissing ?? "")"))
    func okeanosRoutesTheGuestAndItsEUI64AddressThenLeavesNothing() throws {
        let ns = try NetworkNamespace()
        try ns.ip(["link", "add", "eth1", "type", "veth", "peer", "name", "eth1p"])
        for link in ["eth1", "eth1p"] { try ns.ip(["link", "set", link, "up"]) }
        try ns.ip(["route", "add", "default", "dev", "eth1", "table", "100"])
        try ns.ip(["-6", "route", "add", "default", "dev", "eth1", "table", "100"])
        for program in ["/usr/sbin/iptables", "/usr/sbin/ip6tables"] {
            for chain in ["protected", "limited", "unprotected"] { try inside(ns, [program, "-N", chain]) }
        }
        let nfdhcpd = folder.path + "/nfdhcpd"
        let directories = site(
            "okeanos-routed", mode: "routed", config: "okeanos_config",
            settings: """
                return {
                  tap_mac = "cc:47:52:4e:45:54", iptables = "/usr/sbin/iptables", ip6tables = "/usr/sbin/ip6tables",
                  arptables = "/usr/sbin/arptables", firewall_chains = { "protected", "limited", "unprotected" },
                  nfdhcpd_dir = "\(nfdhcpd)",
                }
                """, files: [nfdhcpd])
        let nic = NICSpec(
            mac: "aa:00:00:12:34:56", ip: "192.0.2.10", uuid: "003fc157-66a8-4e6d-8b7e-ec4f69751396", mode: "routed",
            link: "100",
            netinfo: NetworkInfo(
                name: "public", subnet: "192.0.2.0/24", gateway: "192.0.2.1", subnet6: "2001:db8:1::/64"))
        let tags = ["synnefo:network:0:protected"]
        try upThenDown(ns, directories, nic, tags: tags) { host, _ in
            #expect(try host.link("tap0")?.mac == "cc:47:52:4e:45:54")
            #expect(
                try host.proxyNeighbours() == [
                    ProxyNeighbour(address: "2001:db8:1:0:a800:ff:fe12:3456", device: "eth1")
                ]
            )
            #expect(
                try host.routes(table: 100).contains(
                    Route(destination: "2001:db8:1:0:a800:ff:fe12:3456/128", device: "tap0", table: 100)))
            #expect(try host.rules().filter { $0.device == "tap0" }.map(\.family).sorted() == [4, 6])
            let arp = try inside(ns, ["/usr/sbin/arptables", "-S"])
            #expect(arp.contains("-o tap0") && arp.contains("--mangle-ip-s 192.0.2.1"), "\(arp)")
            let ipv4 = try inside(ns, ["/usr/sbin/iptables", "-S", "FORWARD"])
            #expect(ipv4.contains("-A FORWARD -o tap0 -j protected"), "\(ipv4)")
            #expect(ipv4.contains("-A FORWARD -i tap0 -p udp -m udp --dport 67 -j DROP"), "\(ipv4)")
            #expect(
                try inside(ns, ["/usr/sbin/ip6tables", "-S", "FORWARD"]).contains("-A FORWARD -o tap0 -j protected"))
        }
        #expect(!FileManager.default.fileExists(atPath: nfdhcpd + "/tap0"))
    }

    @Test(.enabled(if: birdMissing == nil, "\(birdMissing ?? "")"))
    func aBGPSessionPerTapComesWithPostAndGoesWithDown() throws {
        let ns = try NetworkNamespace()
        let peers = folder.path + "/bird/conf.d"
        let socket = folder.path + "/bird/ctl"
        folder.write(
            "bird/bird.conf",
            """
            router id 192.0.2.254;
            protocol device { }
            template bgp vm_peer {
              local as 4200000000;
              neighbor fe80::2 external;
              connect retry time 2;
              ipv6 { import filter { if net.len = 128 then accept; reject; }; export none; };
            }
            include "\(peers)/*.conf";

            """)
        let directories = site(
            "bgp-ext", mode: "ext", config: "bgp_ext_config",
            settings: """
                return {
                  tap_mac = "5e:aa:bb:cc:dd:e0", gateway = "fe80::1/64", peers_dir = "\(peers)",
                  birdc = { "/usr/sbin/birdc", "-s", "\(socket)" }, template = "vm_peer",
                }
                """, files: [peers])
        try inside(
            ns,
            ["/usr/sbin/bird", "-c", folder.path + "/bird/bird.conf", "-s", socket, "-P", folder.path + "/bird/pid"])
        defer {
            if let pid = try? String(contentsOfFile: folder.path + "/bird/pid", encoding: .utf8),
                let id = pid_t(
                    pid.trimmingCharacters(in: .whitespacesAndNewlines))
            {
                kill(id, SIGTERM)
            }
        }
        // bird goes to the background before its control socket listens: wait for it (a bound for a
        // bird that never comes up, generous because a loaded CI machine starts processes slowly).
        let deadline = ContinuousClock.now + .seconds(60)
        while try BlockingCommand.run(
            [NetworkNamespace.ipPath, "netns", "exec", ns.name, "/usr/sbin/birdc", "-s", socket, "show", "status"],
            timeout: .seconds(10)
        ).status != 0 {
            try #require(ContinuousClock.now < deadline, "bird's control socket \(socket) never answered")
            Thread.sleep(forTimeInterval: 0.05)
        }
        func protocols() throws -> String { try inside(ns, ["/usr/sbin/birdc", "-s", socket, "show", "protocols"]) }
        let nic = NICSpec(mac: "aa:00:00:12:34:56", uuid: "003fc157-66a8-4e6d-8b7e-ec4f69751396", mode: "ext")
        // A migration target: pre prepares the tap; the session comes with post.
        try upThenDown(ns, directories, nic, phases: [.pre, .post]) { host, phase throws in
            if phase == .pre {
                #expect(try host.addresses(of: "tap0") == [InterfaceAddress(address: "fe80::1/64", device: "tap0")])
                #expect(!(try protocols()).contains("vm_tap0"))
            } else {
                #expect(try protocols().contains("vm_tap0"))
                #expect(try host.link("tap0")?.up == true)
            }
        }
        #expect(!(try protocols()).contains("vm_tap0"))
        #expect(!FileManager.default.fileExists(atPath: peers + "/50_tap0.conf"))
    }
}
