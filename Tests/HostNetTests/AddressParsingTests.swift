import Testing

@testable import HostNet

/// MACs, prefixes and interface names as LinuxHost reads them, before anything reaches a kernel.
@Suite("Addresses and names")
struct AddressParsingTests {
    @Test(arguments: ["52:54:00:ab:CD:ef", "00:00:00:00:00:00", "ff:ff:ff:ff:ff:ff"])
    func sixHexPairsAreAMAC(_ text: String) {
        #expect(MACAddress.bytes(text)?.count == 6)
    }

    @Test(arguments: [
        "", "52:54:00:ab:cd", "52:54:00:ab:cd:ef:01", "52-54-00-ab-cd-ef", "5254.00ab.cdef", "+2:54:00:ab:cd:ef",
        "52:54:00:ab:cd:e", "52:54:00:ab:cd:eff", "zz:54:00:ab:cd:ef", "52:54::ab:cd:ef", "٥٢:54:00:ab:cd:ef",
    ])
    func anythingElseIsNotAMAC(_ text: String) {
        #expect(MACAddress.bytes(text) == nil)
    }

    @Test func macsAreWrittenInLowerCaseAndOnlyForSixBytes() {
        #expect(MACAddress.text([0x52, 0x54, 0, 0xAB, 0xC, 0xEF]) == "52:54:00:ab:0c:ef")
        #expect(MACAddress.text([1, 2, 3, 4]) == nil)
    }

    @Test func prefixesWithoutALengthAreHostRoutes() throws {
        let v4 = try #require(IPAddress.prefix("10.99.0.5"))
        #expect(v4.0 == [10, 99, 0, 5] && v4.1 == 32)
        let v6 = try #require(IPAddress.prefix("2001:db8::5"))
        #expect(v6.0.count == 16 && v6.1 == 128)
        #expect(IPAddress.prefix("10.99.0.0/24")?.1 == 24)
        #expect(IPAddress.prefix("::/0")?.1 == 0)
        for bad in ["10.99.0.300", "10.99.0.5/33", "2001:db8::5/129", "10.99.0.5/", "10.99.0.5/-1", "tap0", "1/2/3"] {
            #expect(IPAddress.prefix(bad) == nil, "\(bad)")
        }
        #expect(IPAddress.text([10, 99, 0, 5]) == "10.99.0.5")
        #expect(IPAddress.text([0x20, 0x01, 0x0d, 0xb8] + [UInt8](repeating: 0, count: 11) + [5]) == "2001:db8::5")
    }

    @Test(arguments: [
        ("2001:DB8:0:0::5", "2001:db8::5"), ("2001:DB8:0:0::5/64", "2001:db8::5/64"), ("10.99.0.5", "10.99.0.5"),
        ("10.99.0.5/24", "10.99.0.5/24"), ("2001:db8:0:0:1:0:0:1/128", "2001:db8::1:0:0:1/128"),
        ("::FFFF:192.0.2.1", "::ffff:192.0.2.1"), ("0:0:0:0:0:0:0:0/0", "::/0"), ("10.99.0.5/024", "10.99.0.5/24"),
    ])
    func canonicalTextIsWhatTheKernelLists(_ text: String, _ canonical: String) {
        #expect(IPAddress.canonical(text) == canonical)
    }

    @Test(arguments: [
        "010.099.000.001", "010.099.000.001/24", "10.99.0.5/33", "10.99.0.5/+24", "10.99.0.5/ 24", "10.99.0.5/",
        "10.99.0.5/1000", "10.99.0.5/24/1", "2001:db8::5/129", "fe80::1%tap0", "10.99.0.5 ", "tap0", "",
    ])
    func whatInetPtonRefusesHasNoCanonicalText(_ text: String) {
        #expect(IPAddress.canonical(text) == nil)
    }

    @Test func maskingClearsTheBitsBeyondTheLength() {
        #expect(IPAddress.masked([10, 99, 0, 5], 24) == [10, 99, 0, 0])
        #expect(IPAddress.masked([10, 99, 255, 5], 17) == [10, 99, 128, 0])
        #expect(IPAddress.masked([10, 99, 0, 5], 32) == [10, 99, 0, 5])
        #expect(IPAddress.masked([10, 99, 0, 5], 0) == [0, 0, 0, 0])
    }

    @Test(arguments: ["", ".", "..", "a/b", "a b", "a:b", "tab\tname", "sixteen-chars-xx", "nul\0", "tàp0"])
    func namesTheKernelWouldRefuseAreInvalid(_ name: String) {
        #expect(throws: HostNetError.self) { try InterfaceName.check(name, "check") }
    }

    @Test(arguments: ["tap0", "br-vm.100", "fifteen-chars-x", "veth_a@b"])
    func ordinaryNamesPass(_ name: String) throws {
        try InterfaceName.check(name, "check")
    }
}
