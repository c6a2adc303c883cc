/// Policy routing rules over rtnetlink (RTM_GETRULE / RTM_NEWRULE / RTM_DELRULE), IPv4 and IPv6.
extension LinuxHost {
    /// The `iif DEV lookup TABLE` rules, IPv4 then IPv6.
    ///
    /// Only rules a ``Rule`` describes whole are listed: action "look up a table", an input device
    /// (FRA_IIFNAME), and no other selector (no from/to prefix, tos, fwmark, oif, no `not`). The
    /// kernel's default rules (`from all lookup local|main|default`) have no input device and are
    /// never listed. A rule without FRA_PRIORITY has priority 0.
    public func rules() throws(HostNetError) -> [Rule] {
        var rules: [Rule] = []
        for family in [NL.inet, NL.inet6] {
            let message = NetlinkMessage(
                type: NL.getRule, flags: NL.request | NL.dump, header: NetlinkMessage.ruleHeader(family: family))
            for reply in try netlink.dump(message, "list rules") where reply.type == NL.newRule {
                if let rule = Self.rule(reply.payload) { rules.append(rule) }
            }
        }
        return rules
    }

    /// A listed rule from an RTM_NEWRULE payload (`fib_rule_hdr` and attributes), or nil for one
    /// that ``rules()`` leaves out.
    static func rule(_ payload: ArraySlice<UInt8>) -> Rule? {
        guard payload.count >= 12 else { return nil }
        let header = Array(payload.prefix(12))
        // dst_len, src_len, tos, action, flags
        guard header[1] == 0, header[2] == 0, header[3] == 0, header[7] == NL.actionToTable,
            NetlinkMessage.get(payload, 8, as: UInt32.self) & NL.ruleInvert == 0
        else { return nil }
        let attributes = NetlinkAttributes(payload.dropFirst(12))
        guard let device = attributes.string(NL.fraIfName), attributes[NL.fraFirewallMark] == nil,
            attributes[NL.fraOutputIfName] == nil
        else { return nil }
        return Rule(
            family: header[0] == NL.inet ? 4 : 6, device: device,
            table: Int(attributes.uint32(NL.fraTable) ?? UInt32(header[4])),
            priority: Int(attributes.uint32(NL.fraPriority) ?? 0))
    }

    /// `ip rule add iif DEV table T [priority P]`. The device need not exist: the rule applies once
    /// it does.
    ///
    /// A rule for the same family, device and table already there is `.kernel` (EEXIST), whatever
    /// its priority, as with ``FakeHost``: the kernel itself would take a second one without a
    /// priority (giving it the next free one), and duplicates would pile up across `up`s. This
    /// costs one rule dump per add.
    public func addRule(_ rule: Rule) throws(HostNetError) {
        let operation = HostCall.ruleAdd(rule).description
        let message = try ruleMessage(rule, type: NL.newRule, flags: NL.create | NL.exclusive, operation)
        let existing = try rules().first {
            $0.family == rule.family && $0.device == rule.device && $0.table == rule.table
        }
        if let existing {
            throw HostNetError(.kernel, operation, detail: "\(existing) exists", errno: .fileExists)
        }
        try netlink.request(message, operation)
    }

    /// `ip rule del iif DEV table T [priority P]`; a rule that is not there is `.notFound`.
    public func deleteRule(_ rule: Rule) throws(HostNetError) {
        let operation = HostCall.ruleDel(rule).description
        do {
            try netlink.request(try ruleMessage(rule, type: NL.delRule, flags: 0, operation), operation)
        } catch let error where error.errno == .noSuchFileOrDirectory {
            throw HostNetError(.notFound, operation, detail: "no such rule", errno: error.errno)
        }
    }

    private func ruleMessage(
        _ rule: Rule, type: UInt16, flags: UInt16, _ operation: String
    ) throws(HostNetError) -> NetlinkMessage {
        try InterfaceName.check(rule.device, operation)
        guard rule.family == 4 || rule.family == 6 else {
            throw HostNetError(.invalid, operation, detail: "family must be 4 or 6")
        }
        guard let table = UInt32(exactly: rule.table), table > 0 else {
            throw HostNetError(.invalid, operation, detail: "\(rule.table) is not a routing table id")
        }
        let priority = rule.priority.map { UInt32(exactly: $0) }
        if priority == .some(nil) {
            throw HostNetError(.invalid, operation, detail: "\(rule.priority!) is not a rule priority")
        }
        var message = NetlinkMessage(
            type: type, flags: NL.request | NL.ack | flags,
            header: NetlinkMessage.ruleHeader(
                family: rule.family == 4 ? NL.inet : NL.inet6, table: table < 256 ? UInt8(table) : 0,
                action: NL.actionToTable))
        message.attribute(NL.fraIfName, string: rule.device)
        message.attribute(NL.fraTable, uint32: table)
        if let priority = priority ?? nil { message.attribute(NL.fraPriority, uint32: priority) }
        return message
    }
}
