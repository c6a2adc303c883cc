import Foundation
import TestSupport
import Testing

@testable import HostNet

/// Routing table names as `ip` reads them. The expected ids are what iproute2 6.1 (Debian 12's
/// `ip route add ... table NAME`) gave for the same files, bind-mounted over `/etc/iproute2`
/// in a throwaway mount namespace.
@Suite("Routing table names as ip reads them")
struct RoutingTableNamesTests {
    static let main = """
        255\tlocal
        254\tmain
        253\tdefault
        0\tunspec
        100 customers
        0x20 hexy   # trailing
        300 dup
        44 dup
          77\tspaced
        """
    static let dotA = "200 fromd\n 201 dup\nbroken line here\n202 afterbroken\n"
    static let dotB = "356 dup2\n100 dup2\n"

    static func names() -> RoutingTableNames {
        RoutingTableNames(files: [
            .init(path: "/etc/iproute2/rt_tables", text: main),
            .init(path: "/etc/iproute2/rt_tables.d/a.conf", text: dotA),
            .init(path: "/etc/iproute2/rt_tables.d/b.conf", text: dotB),
        ])
    }

    @Test(
        arguments: [
            ("customers", 100), ("hexy", 32), ("dup", 44), ("spaced", 77), ("fromd", 200), ("dup2", 100),
            ("010", 8), ("0x10", 16), ("main", 254), ("local", 255), ("default", 253), ("4294967295", 4_294_967_295),
            (" 12", 12),
        ] as [(String, UInt32)])
    func namesAndNumbersResolveAsIpResolvesThem(name: String, id: UInt32) {
        #expect(Self.names().id(name) == id)
    }

    @Test(arguments: ["afterbroken", "08", "4294967296", "", "-1", "nosuch", "0x", "12 "])
    func whatIpRefusesIsRefused(name: String) {
        #expect(Self.names().id(name) == nil)
    }

    @Test func aCorruptLineEndsItsFileAndIsNamedInTheError() throws {
        let names = Self.names()
        #expect(names.corruptLines == ["/etc/iproute2/rt_tables.d/a.conf:3: broken line here"])
        let error = #expect(throws: HostNetError.self) {
            try names.table("afterbroken", searched: "the files")
        }
        #expect(error?.code == .notFound)
        #expect(
            error?.description
                == "routing table afterbroken: not a number, nor a name in the files (ip stops reading a file at a line that is not 'ID NAME': /etc/iproute2/rt_tables.d/a.conf:3: broken line here)"
        )
    }

    @Test func tableZeroIsNotATable() {
        #expect(throws: HostNetError.self) { try Self.names().table("unspec", searched: "") }
        #expect(throws: HostNetError.self) { try Self.names().table("0", searched: "") }
    }

    @Test func withoutFilesOnlyTheKernelNamesAndNumbersResolve() throws {
        let names = RoutingTableNames(files: [])
        #expect(names.id("main") == 254 && names.id("local") == 255 && names.id("default") == 253)
        #expect(names.id("customers") == nil)
        #expect(try names.table("100", searched: "") == 100)
    }

    @Test func filesAreReadFromEtcThenUsrAndTheFoldersWithEtcOverridingByName() throws {
        let folder = TemporaryFolder()
        let files = RoutingTableFiles(etc: folder.path + "/etc", usr: folder.path + "/usr")
        folder.write("usr/rt_tables", "100 fromusr\n")
        folder.write("usr/rt_tables.d/site.conf", "110 usrsite\n")
        folder.write("usr/rt_tables.d/only.conf", "120 usronly\n")
        folder.write("etc/rt_tables.d/site.conf", "130 etcsite\n")
        folder.write("etc/rt_tables.d/notconf.txt", "140 ignored\n")
        folder.write("etc/rt_tables.d/.hidden.conf", "150 hidden\n")
        var names = files.load()
        // No /etc/iproute2/rt_tables: Debian's /usr/share copy serves.
        #expect(names.id("fromusr") == 100)
        #expect(names.id("usronly") == 120)
        #expect(names.id("etcsite") == 130)
        #expect(names.id("usrsite") == nil, "a file of the same name in /etc replaces /usr's")
        #expect(names.id("ignored") == nil && names.id("hidden") == nil)
        folder.write("etc/rt_tables", "200 frometc\n")
        names = files.load()
        #expect(names.id("frometc") == 200)
        #expect(names.id("fromusr") == nil, "/usr's main file is read only where /etc has none")
        #expect(names.paths.first == folder.path + "/etc/rt_tables")
    }
}
