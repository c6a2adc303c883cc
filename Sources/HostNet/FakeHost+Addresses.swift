/// Interface addresses and proxy neighbour entries in memory, with the kernel's rules as
/// `LinuxHostAddressTests` checks them on a real kernel (Linux 6.18, iproute2 6.1):
///
/// - Both need the link to exist (`.notFound`), not to be up.
/// - An IPv4 address is the address with its length: `192.0.2.1/25` beside `192.0.2.1/24` is a
///   second address. An IPv6 address is the address alone: adding it with another length is
///   EEXIST, replacing it with another length keeps the first length, deleting it with another
///   length is not found.
/// - Deleting the first (primary) IPv4 address of a subnet (same length, same network) deletes
///   the later (secondary) ones of that subnet on the link, unless `promote_secondaries` is on.
/// - An IPv6 address on a link with `disable_ipv6` is refused (EACCES); turning `disable_ipv6`
///   on drops the link's IPv6 addresses and IPv6 proxy entries. Proxy entries can be added
///   while it is on.
/// - A link going down (from up) drops its proxy entries, both families, and its IPv6 addresses
///   (unless `keep_addr_on_down` is on); its IPv4 addresses stay. Setting a down link down drops
///   nothing.
/// - The kernel takes a proxy entry that is there again without a word; ``LinuxHost`` and this
///   host refuse it (EEXIST), as they refuse a second rule.
/// - A link's addresses and entries go with it (``removeLink(_:)``).
///
/// Not modelled: the routes the kernel makes for an address (the subnet's `proto kernel` route,
/// the local table's), and carrier (a link is up or down, nothing between).
extension FakeHost {
    /// The addresses of one link (every link's with nil) in the kernel's spelling, IPv4 before
    /// IPv6, by link, then by address; what ``HostNetwork/addresses(of:)`` leaves out (the IPv6
    /// link-local /64s, 127.0.0.0/8, `::1`) left out by its form, as ``LinuxHost`` leaves it out.
    public func addresses(of name: String?) throws(HostNetError) -> [InterfaceAddress] {
        if let name {
            try InterfaceName.check(name, "list addresses of \(name)")
            _ = try existing(name, "list addresses of \(name)")
        }
        let listed = state.addresses.filter { name == nil || $0.device == name }.compactMap {
            address -> (InterfaceAddress, [UInt8])? in
            guard let (bytes, length) = IPAddress.prefix(address.address) else { return (address, []) }
            if InterfaceAddress.isUnlisted(bytes, length: length) { return nil }
            return (InterfaceAddress(address: "\(IPAddress.text(bytes))/\(length)", device: address.device), bytes)
        }
        return listed.sorted { precedes(($0.1, $0.0.device, $0.0.address), ($1.1, $1.0.device, $1.0.address)) }
            .map(\.0)
    }

    /// `ip address add`: the address, in the kernel's spelling; one that is there is EEXIST.
    public func addAddress(_ address: InterfaceAddress) throws(HostNetError) {
        let operation = HostCall.addressAdd(address).description
        let (new, bytes) = try checked(address, operation)
        if present(new, bytes) != nil {
            throw HostNetError(
                .kernel, operation,
                detail: bytes.count == 4 ? "ipv4: Address already assigned" : "ipv6: address already assigned",
                errno: .fileExists)
        }
        record(.addressAdd(new))
        insert(new)
    }

    /// `ip address replace`: adds the address, or keeps the one there (an IPv6 address with its
    /// first length).
    public func replaceAddress(_ address: InterfaceAddress) throws(HostNetError) {
        let (new, bytes) = try checked(address, HostCall.addressReplace(address).description)
        record(.addressReplace(new))
        if present(new, bytes) == nil { insert(new) }
    }

    /// `ip address del`: the address with that length, or `.notFound`; the secondaries of a
    /// primary IPv4 address go with it unless `promote_secondaries` is on for the link (or all).
    public func deleteAddress(_ address: InterfaceAddress) throws(HostNetError) {
        let operation = HostCall.addressDel(address).description
        let (old, bytes) = try checked(address, operation, adding: false)
        guard let stored = present(old, bytes), canonical(stored)?.0 == old else {
            throw HostNetError(.notFound, operation, detail: "no such address", errno: .addressNotAvailable)
        }
        record(.addressDel(old))
        var gone = [stored]
        let promoted =
            Self.isOn(state.sysctls["net/ipv4/conf/all/promote_secondaries"])
            || Self.isOn(state.sysctls["net/ipv4/conf/\(old.device)/promote_secondaries"])
        if bytes.count == 4, !promoted {
            let subnet = subnetOrder(of: old)
            if subnet.first == stored { gone = subnet }
        }
        for address in gone {
            state.addresses.remove(address)
            addressOrder.removeAll { $0 == address }
        }
    }

    /// Every proxy entry in the kernel's spelling, IPv4 before IPv6, by link, then by address.
    public func proxyNeighbours() throws(HostNetError) -> [ProxyNeighbour] {
        let listed = state.proxyNeighbours.map { neighbour -> (ProxyNeighbour, [UInt8]) in
            guard let bytes = IPAddress.bytes(neighbour.address) else { return (neighbour, []) }
            return (ProxyNeighbour(address: IPAddress.text(bytes), device: neighbour.device), bytes)
        }
        return listed.sorted { precedes(($0.1, $0.0.device, $0.0.address), ($1.1, $1.0.device, $1.0.address)) }
            .map(\.0)
    }

    /// `ip neighbour add proxy`: the entry, in the kernel's spelling; one that is there is EEXIST.
    public func addProxyNeighbour(_ neighbour: ProxyNeighbour) throws(HostNetError) {
        let operation = HostCall.neighAdd(neighbour).description
        let new = try checked(neighbour, operation)
        guard storedEntry(new) == nil else {
            throw HostNetError(.kernel, operation, detail: "\(new) exists", errno: .fileExists)
        }
        record(.neighAdd(new))
        state.proxyNeighbours.insert(new)
    }

    /// `ip neighbour del proxy`: the entry, or `.notFound`.
    public func deleteProxyNeighbour(_ neighbour: ProxyNeighbour) throws(HostNetError) {
        let operation = HostCall.neighDel(neighbour).description
        let old = try checked(neighbour, operation)
        guard let stored = storedEntry(old) else {
            throw HostNetError(.notFound, operation, detail: "no such proxy neighbour", errno: .noSuchFileOrDirectory)
        }
        record(.neighDel(old))
        state.proxyNeighbours.remove(stored)
    }

    /// What the kernel drops when a link goes from up to down: its proxy entries, and its IPv6
    /// addresses unless `keep_addr_on_down` (all's, or the link's when all's is 0) is above 0.
    func linkWentDown(_ name: String) {
        state.proxyNeighbours = state.proxyNeighbours.filter { $0.device != name }
        let all = state.sysctls["net/ipv6/conf/all/keep_addr_on_down"].flatMap { Int($0) } ?? 0
        let keep = all != 0 ? all : state.sysctls["net/ipv6/conf/\(name)/keep_addr_on_down"].flatMap { Int($0) } ?? 0
        if keep <= 0 { dropIPv6(of: name, proxies: false) }
    }

    /// What the kernel drops when `disable_ipv6` is turned on for a link: its IPv6 addresses and
    /// IPv6 proxy entries.
    func ipv6Disabled(_ name: String) { dropIPv6(of: name, proxies: true) }

    /// Removes the IPv6 addresses of the link `name`, and its IPv6 proxy entries with `proxies`.
    private func dropIPv6(of name: String, proxies: Bool) {
        let ipv6 = { (device: String, address: String) in device == name && address.contains(":") }
        state.addresses = state.addresses.filter { !ipv6($0.device, $0.address) }
        addressOrder.removeAll { ipv6($0.device, $0.address) }
        if proxies { state.proxyNeighbours = state.proxyNeighbours.filter { !ipv6($0.device, $0.address) } }
    }

    /// `address` in the kernel's spelling with its length (a host length when it has none), and
    /// its bytes; or nil when it is no address.
    private func canonical(_ address: InterfaceAddress) -> (InterfaceAddress, [UInt8])? {
        guard let (bytes, length) = IPAddress.prefix(address.address) else { return nil }
        return (InterfaceAddress(address: "\(IPAddress.text(bytes))/\(length)", device: address.device), bytes)
    }

    /// `address` canonical, or the refusal LinuxHost or the kernel gives: no address or no
    /// interface name (`.invalid`), no link (`.notFound`), an IPv6 address added to a link with
    /// `disable_ipv6` (EACCES).
    private func checked(
        _ address: InterfaceAddress, _ operation: String, adding: Bool = true
    ) throws(HostNetError) -> (InterfaceAddress, [UInt8]) {
        guard let (new, bytes) = canonical(address) else {
            throw HostNetError(.invalid, operation, detail: "\(address.address) is not an address or address/length")
        }
        try InterfaceName.check(address.device, operation)
        _ = try existing(address.device, operation)
        if adding, bytes.count == 16, Self.isOn(state.sysctls["net/ipv6/conf/\(address.device)/disable_ipv6"]) {
            throw HostNetError(
                .kernel, operation, detail: "ipv6: IPv6 is disabled on this device", errno: .permissionDenied)
        }
        return (new, bytes)
    }

    /// The stored address `new` stands for: for IPv4 the same address and length, for IPv6 the
    /// same address with any length, on the same link.
    private func present(_ new: InterfaceAddress, _ bytes: [UInt8]) -> InterfaceAddress? {
        state.addresses.first { stored in
            guard stored.device == new.device, let (listed, storedBytes) = canonical(stored) else { return false }
            return bytes.count == 4 ? listed == new : storedBytes == bytes
        }
    }

    /// Stores a new address, the last added.
    private func insert(_ address: InterfaceAddress) {
        state.addresses.insert(address)
        addressOrder.removeAll { $0 == address }
        addressOrder.append(address)
    }

    /// The stored IPv4 addresses of `address`'s subnet on its link (same length, same network),
    /// primary first: in the order they were added, those put in ``state`` directly before the
    /// rest.
    private func subnetOrder(of address: InterfaceAddress) -> [InterfaceAddress] {
        guard let (bytes, length) = IPAddress.prefix(address.address) else { return [] }
        let network = IPAddress.masked(bytes, length)
        let subnet = state.addresses.filter { stored in
            guard stored.device == address.device, let (storedBytes, storedLength) = IPAddress.prefix(stored.address)
            else { return false }
            return storedLength == length && storedBytes.count == 4 && IPAddress.masked(storedBytes, length) == network
        }
        let rank = { (address: InterfaceAddress) in (self.addressOrder.firstIndex(of: address) ?? -1, address.address) }
        return subnet.sorted { rank($0) < rank($1) }
    }

    /// `neighbour` with its address in the kernel's spelling, or the refusal LinuxHost gives: no
    /// address (`.invalid`, a prefix length included) or no interface name (`.invalid`), no link
    /// (`.notFound`).
    private func checked(_ neighbour: ProxyNeighbour, _ operation: String) throws(HostNetError) -> ProxyNeighbour {
        guard let bytes = IPAddress.bytes(neighbour.address) else {
            throw HostNetError(.invalid, operation, detail: "\(neighbour.address) is not an address")
        }
        try InterfaceName.check(neighbour.device, operation)
        _ = try existing(neighbour.device, operation)
        return ProxyNeighbour(address: IPAddress.text(bytes), device: neighbour.device)
    }

    /// The stored entry `neighbour` (canonical) stands for.
    private func storedEntry(_ neighbour: ProxyNeighbour) -> ProxyNeighbour? {
        state.proxyNeighbours.first {
            $0.device == neighbour.device && IPAddress.bytes($0.address).map(IPAddress.text) == neighbour.address
        }
    }

    /// The listing order: IPv4 (4 bytes) before IPv6, then by link index (links that are gone
    /// last), then by address bytes, then by text.
    private func precedes(_ a: ([UInt8], String, String), _ b: ([UInt8], String, String)) -> Bool {
        if a.0.count != b.0.count { return a.0.count < b.0.count }
        let (first, second) = (state.links[a.1]?.index ?? .max, state.links[b.1]?.index ?? .max)
        if first != second { return first < second }
        if a.0 != b.0 { return a.0.lexicographicallyPrecedes(b.0) }
        return a.2 < b.2
    }
}
