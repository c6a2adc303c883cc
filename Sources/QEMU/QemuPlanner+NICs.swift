extension QemuPlanner {
    /// The `-netdev`/`-device` pairs for the runtime's NICs, built at execution from the tap fds
    /// the node opened (Ganeti's execution phase): `-netdev tap,id=ID,fd=N` (`fds=a:b` with
    /// several queues, plus `vhost=on,vhostfd[s]=` with vhost), `-device MODEL,mac=,netdev=,id=`
    /// with the NIC's bus address, and `mq=on,vectors=2N+2` for a multiqueue virtio NIC.
    public static func nicArguments(_ runtime: QemuRuntime, taps: [TapHandles]) throws(SpecError) -> [String] {
        guard taps.count == runtime.nics.count else {
            throw SpecError("nics", "\(runtime.nics.count) NICs but \(taps.count) taps were opened")
        }
        var argv: [String] = []
        for (index, (nic, tap)) in zip(runtime.nics, taps).enumerated() {
            guard let info = nic.hvinfo else { throw SpecError("nics[\(index)]", "has no device placement (hvinfo)") }
            guard !tap.fds.isEmpty else { throw SpecError("nics[\(index)]", "no tap fd") }
            guard tap.vhostFds.isEmpty || tap.vhostFds.count == tap.fds.count else {
                throw SpecError("nics[\(index)]", "\(tap.fds.count) tap queues but \(tap.vhostFds.count) vhost fds")
            }
            let queues = tap.fds.count
            var netdev = ["tap", "id=\(info.id)"]
            netdev.append(queues == 1 ? "fd=\(tap.fds[0])" : "fds=" + tap.fds.map(String.init).joined(separator: ":"))
            if !tap.vhostFds.isEmpty {
                netdev.append("vhost=on")
                netdev.append(
                    queues == 1
                        ? "vhostfd=\(tap.vhostFds[0])"
                        : "vhostfds=" + tap.vhostFds.map(String.init).joined(separator: ":"))
            }
            var device = [info.driver, "mac=\(nic.mac)", "netdev=\(info.id)", "id=\(info.id)"] + info.placement
            if queues > 1 {
                guard info.driver.hasPrefix("virtio-net") else {
                    throw SpecError("nics[\(index)]", "\(queues) queues need a virtio NIC, not \(info.driver)")
                }
                device += ["mq=on", "vectors=\(2 * queues + 2)"]
            }
            argv += ["-netdev", netdev.joined(separator: ","), "-device", device.joined(separator: ",")]
        }
        return argv
    }
}
