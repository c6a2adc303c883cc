import QEMU
import SystemPackage

#if canImport(Glibc)
import Glibc
#endif

/// The real node's answers for the parameter checks.
public enum LocalNodeFacts {
    /// Facts about this machine, for a qemu with `features`.
    public static func make(features: QemuFeatures) -> NodeFacts {
        NodeFacts(
            features: features,
            isFile: { (try? FilePath($0).stat().type) == .regular },
            isDirectory: { (try? FilePath($0).stat().type) == .directory },
            pathExists: { (try? FilePath($0).stat()) != nil },
            userExists: { name in name.withCString { getpwnam($0) } != nil },
            interfaceExists: { name in name.withCString { if_nametoindex($0) } != 0 }
        )
    }
}
