extension HVParams {
    /// Reads `hvparams` from a spec: unknown names refused, each value type- and syntax-checked,
    /// missing ones taken from the catalog, then the cross-parameter rules.
    public static func parse(_ json: JSONValue?, field: String = "hvparams") throws(SpecError) -> HVParams {
        var values = HVParams.defaults.values
        if let json, json != .null {
            guard let object = json.objectValue else { throw SpecError(field, "expected an object, got \(json.kind)") }
            for name in object.keys.sorted() {
                guard let parameter = HVCatalog.parameter(name) else {
                    throw SpecError("\(field).\(name)", "unknown hypervisor parameter")
                }
                values[name] = try parameter.check(object[name]!)
            }
        }
        let params = HVParams(values: values)
        try params.checkCrossRules(field: field)
        return params
    }

    /// The rules that tie parameters together (Ganeti's `CheckParameterSyntax` and the 2026
    /// `check_*` functions). Pure.
    func checkCrossRules(field: String) throws(SpecError) {
        func fail(_ name: String, _ reason: String) -> SpecError { SpecError("\(field).\(name)", reason) }

        if !string("kernel_path").isEmpty && string("root_path").isEmpty {
            throw fail("root_path", "a root partition is required when kernel_path is set")
        }
        if string("boot_order") == "cdrom" && string("cdrom_image_path").isEmpty {
            throw fail("cdrom_image_path", "required to boot from cdrom (boot_order is cdrom)")
        }
        if string("boot_order") == "floppy" && string("floppy_image_path").isEmpty {
            throw fail("floppy_image_path", "required to boot from floppy (boot_order is floppy)")
        }
        if !string("initrd_path").isEmpty && string("kernel_path").isEmpty {
            throw fail("initrd_path", "an initrd needs kernel_path")
        }
        if bool("vnc_x509_verify") && string("vnc_x509_path").isEmpty {
            throw fail("vnc_x509_path", "required when vnc_x509_verify is true")
        }
        if !string("vnc_x509_path").isEmpty && !bool("vnc_tls") {
            throw fail("vnc_x509_path", "has no effect unless vnc_tls is true")
        }
        switch string("security_model") {
        case "user" where string("security_domain").isEmpty:
            throw fail("security_domain", "required when security_model is user")
        case "none", "pool":
            if !string("security_domain").isEmpty {
                throw fail("security_domain", "must be empty when security_model is \(string("security_model"))")
            }
        default: break
        }
        if bool("serial_console") && !Syntax.serialSpeeds.contains(int("serial_speed")) {
            throw fail(
                "serial_speed",
                "\(int("serial_speed")) is not a serial speed (\(Syntax.serialSpeeds.map(String.init).joined(separator: ", ")))"
            )
        }
        let spiceBind = string("spice_bind")
        if spiceBind.isEmpty {
            for name in HVCatalog.spiceAdditional where values[name] != HVParams.defaults.values[name] {
                throw fail(name, "has no effect without spice_bind")
            }
        } else {
            if !string("vnc_bind_address").isEmpty {
                throw fail("spice_bind", "cannot be used together with vnc_bind_address")
            }
            let version = int("spice_ip_version")
            if (version == 4 && Syntax.isIPv6(spiceBind)) || (version == 6 && Syntax.isIPv4(spiceBind)) {
                throw fail("spice_ip_version", "\(version) does not match the address \(spiceBind)")
            }
        }
        if string("disk_aio") == "native" && string("disk_cache") != "none" {
            throw fail("disk_aio", "native needs disk_cache none (it is \(string("disk_cache")))")
        }
        let cdromType = string("cdrom_disk_type")
        if !cdromType.isEmpty && !["ide", "paravirtual"].contains(cdromType)
            && !HVCatalog.scsiDiskTypes.contains(cdromType)
        {
            throw fail("cdrom_disk_type", "\(cdromType) cannot hold a cdrom (use ide, paravirtual or a scsi type)")
        }
    }

    /// The checks only the node can make: files and folders exist, the user and interfaces exist,
    /// and the qemu has the features the parameters need. Throws the first failure.
    public func checkOnNode(_ facts: NodeFacts, field: String = "hvparams") throws(SpecError) {
        func fail(_ name: String, _ reason: String) -> SpecError { SpecError("\(field).\(name)", reason) }
        for parameter in HVCatalog.parameters {
            guard let check = parameter.nodeCheck, case .string(let path) = values[parameter.name], !path.isEmpty
            else { continue }
            switch check {
            case .file where !facts.isFile(path):
                throw fail(parameter.name, "\(path) is not an existing file")
            case .directory where !facts.isDirectory(path):
                throw fail(parameter.name, "\(path) is not an existing directory")
            case .fileOrURL where !Syntax.isURL(path) && !facts.isFile(path):
                throw fail(parameter.name, "\(path) is not an existing file")
            default: break
            }
        }
        if string("security_model") == "user" && !facts.userExists(string("security_domain")) {
            throw fail("security_domain", "no user \(string("security_domain")) on this node")
        }
        let spiceBind = string("spice_bind")
        if !spiceBind.isEmpty && !Syntax.isIP(spiceBind) && !facts.interfaceExists(spiceBind) {
            throw fail("spice_bind", "no interface \(spiceBind) on this node")
        }
        let vncBind = string("vnc_bind_address")
        if !vncBind.isEmpty && !Syntax.isIP(vncBind) && !vncBind.hasPrefix("/") && !facts.interfaceExists(vncBind) {
            throw fail("vnc_bind_address", "no interface \(vncBind) on this node")
        }
        if bool("vhost_net") && !facts.pathExists("/dev/vhost-net") {
            throw fail("vhost_net", "/dev/vhost-net does not exist on this node")
        }
        try checkFeatures(facts.features, field: field)
    }

    /// The checks that depend only on what the qemu supports (pure: the features are an input).
    public func checkFeatures(_ features: QemuFeatures, field: String = "hvparams") throws(SpecError) {
        func fail(_ name: String, _ reason: String) -> SpecError { SpecError("\(field).\(name)", reason) }
        if !string("spice_bind").isEmpty && !features.spice {
            throw fail("spice_bind", "qemu \(features.version) has no SPICE support")
        }
        if string("disk_aio") == "io_uring" && features.version.major < 5 {
            throw fail("disk_aio", "io_uring needs qemu 5 or newer (this is \(features.version))")
        }
        let machine = string("machine_version")
        if !machine.isEmpty && !features.supportsMachine(machine) {
            throw fail("machine_version", "qemu \(features.version) has no machine type \(machine)")
        }
        if bool("vhost_net") && !features.vhost {
            throw fail("vhost_net", "qemu \(features.version) has no vhost support for taps")
        }
        if int("virtio_net_queues") > 1 && !features.multiqueueFds {
            throw fail("virtio_net_queues", "qemu \(features.version) cannot take a multiqueue tap")
        }
        for (name, driver) in [
            ("nic_type", QemuDevices.nicDriver(string("nic_type"))),
            ("disk_type", QemuDevices.diskDriver(string("disk_type"))),
        ] where !features.supportsDevice(driver) {
            throw fail(name, "qemu \(features.version) has no device \(driver)")
        }
    }
}
