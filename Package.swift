// swift-tools-version: 6.1
import PackageDescription

let package = Package(
    name: "taphouse",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "taphouse", targets: ["taphouse"]),
        .library(name: "LuaKit", targets: ["LuaKit"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-system", from: "1.8.1"),
        .package(url: "https://github.com/apple/swift-crypto", from: "3.12.3"),
        // The daemon: without Hummingbird's default traits (swift-configuration, full
        // Foundation), which bring ICU's 34 MB data table into a static binary.
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1", traits: []),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.4.1"),
        .package(url: "https://github.com/apple/swift-metrics", from: "2.13.0"),
        // The CLI's client of the daemon (HTTP over its Unix socket), and a daemon's of its peer.
        .package(url: "https://github.com/swift-server/async-http-client", from: "1.37.0"),
    ],
    targets: [
        // Lua 5.4 as Debian ships it, plus a header-only shim for what Swift cannot import.
        .systemLibrary(
            name: "CLua",
            pkgConfig: "lua5.4",
            providers: [.apt(["liblua5.4-dev"])]
        ),
        // Generic Lua embedding: sandbox, limits, values, host functions. Knows nothing of KVM.
        .target(
            name: "LuaKit",
            dependencies: [
                "CLua",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "SystemPackage", package: "swift-system"),
            ]
        ),
        // Pure qemu planning: spec, hvparams catalog and checks, feature detection from help text,
        // argv generation, runtime file. No file system, no processes.
        .target(name: "QEMU"),
        // Linux constants and structs Swift cannot import (header-only shim, no library to link).
        .systemLibrary(name: "CLinux"),
        // Native Linux networking (netlink, ioctl, /proc/sys/net) behind the HostNetwork protocol,
        // and commands run as argv with a deadline.
        .target(
            name: "HostNet",
            dependencies: [
                "CLinux",
                .product(name: "SystemPackage", package: "swift-system"),
            ]
        ),
        // A QMP client: qemu's machine protocol over a Unix socket, with timeouts and events.
        .target(name: "QMP", dependencies: ["QEMU", .product(name: "SystemPackage", package: "swift-system")]),
        // The KVM core at the edge: runs qemu, reads the node. Ties QEMU, Hooks and the host.
        .target(
            name: "Node",
            dependencies: [
                "QEMU",
                "HostNet",
                "QMP",
                "Hooks",
                "LuaKit",
                .product(name: "SystemPackage", package: "swift-system"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        // The hook runtime: the sandbox hooks get and the `taphouse.*` modules.
        .target(
            name: "Hooks",
            dependencies: [
                "LuaKit",
                "HostNet",
                "QEMU",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "SystemPackage", package: "swift-system"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        // The node daemon (`taphouse serve`): the HTTP/JSON API, one supervisor per instance,
        // events, metrics.
        // What the API's requests carry and how their bodies read, without the server (the
        // fuzzer drives it).
        .target(name: "DaemonAPI", dependencies: ["Node", "QEMU"]),
        .target(
            name: "NodeDaemon",
            dependencies: [
                "CLinux", "DaemonAPI", "Node", "QEMU", "QMP",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdTLS", package: "hummingbird"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Logging", package: "swift-log"),
                // A source daemon drives the target daemon of a migration.
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
            ]
        ),
        .executableTarget(
            name: "taphouse",
            dependencies: [
                "LuaKit",
                "Hooks",
                "QEMU",
                "Node",
                "NodeDaemon",
                "HostNet",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
            ]
        ),
        // Prints figures and ratios against a raw-C-API baseline; run with `swift run -c release taphouse-bench`.
        .executableTarget(
            name: "taphouse-bench",
            dependencies: ["LuaKit", "CLua"],
            path: "Benchmarks/LuaKitBenchmarks"
        ),
        // Helpers shared by the test targets (temporary folders, ...).
        .target(name: "TestSupport", dependencies: ["HostNet", "CLinux"], path: "Tests/TestSupport"),
        // Bridged up of 20 NICs: the Lua hook against a fork-per-command shell script, on real taps;
        // run as root: `swift run -c release taphouse-netbench`.
        .executableTarget(
            name: "taphouse-netbench",
            dependencies: ["Hooks", "HostNet", "QEMU", .product(name: "Logging", package: "swift-log")],
            path: "Benchmarks/NetworkBenchmarks",
            exclude: ["ganeti-bridged-up.sh"]
        ),
        // `taphouse instance start` of a paused diskless instance with 2 bridged NICs against qemu
        // launched directly on pre-made taps; run as root: `swift run -c release taphouse-instancebench`.
        .executableTarget(
            name: "taphouse-instancebench", dependencies: ["HostNet", "TestSupport"],
            path: "Benchmarks/InstanceBenchmarks"),
        // The node daemon side by side with its baselines (see its header); run as root:
        // `swift run -c release taphouse-daemonbench`.
        .executableTarget(
            name: "taphouse-daemonbench",
            dependencies: [
                "HostNet", "QMP", "TestSupport", .product(name: "AsyncHTTPClient", package: "async-http-client"),
            ],
            path: "Benchmarks/DaemonBenchmarks"),
        // Live migration node to node through the daemons against a bare QMP client; run as root:
        // `swift run -c release taphouse-migbench`.
        .executableTarget(
            name: "taphouse-migbench",
            dependencies: [
                "HostNet", "QEMU", "QMP", "TestSupport",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
            ],
            path: "Benchmarks/MigrationBenchmarks"),
        // Fuzzing: one target per parser of text from outside (a library the tests replay the
        // corpora through), and the runner libFuzzer drives (`scripts/fuzz.sh`).
        .target(
            name: "FuzzTargets", dependencies: ["QEMU", "QMP", "Hooks", "Node", "DaemonAPI"], path: "Fuzz/Targets"),
        .executableTarget(name: "taphouse-fuzz", dependencies: ["FuzzTargets"], path: "Fuzz/Runner"),
        // A qemu that misbehaves on its QMP socket, for the tests of what taphouse does then.
        .executableTarget(name: "qmp-standin", path: "Tests/QMPStandIn"),
        .testTarget(name: "LuaKitTests", dependencies: ["LuaKit", "CLua", "TestSupport"]),
        .testTarget(
            name: "QEMUTests", dependencies: ["QEMU", "HostNet", "TestSupport"], resources: [.copy("Fixtures")]),
        .testTarget(name: "NodeTests", dependencies: ["Node", "QEMU", "QMP", "HostNet", "Hooks", "TestSupport"]),
        .testTarget(name: "QMPTests", dependencies: ["QMP", "QEMU", "TestSupport"]),
        .testTarget(name: "HostNetTests", dependencies: ["HostNet", "CLinux", "TestSupport"]),
        // Real kernels, real ovsdb-server, real qemu: each suite checks what it needs and says
        // why it is skipped where that is missing.
        .testTarget(
            name: "IntegrationTests", dependencies: ["Hooks", "HostNet", "Node", "QEMU", "LuaKit", "TestSupport"]),
        .testTarget(name: "HooksTests", dependencies: ["Hooks", "LuaKit", "TestSupport"]),
        .testTarget(name: "FuzzRegressionTests", dependencies: ["FuzzTargets", "DaemonAPI"]),
        .testTarget(
            name: "TaphouseCLITests", dependencies: ["taphouse", "TestSupport", "HostNet", "Node", "QMP", "Hooks"]),
    ],
    swiftLanguageModes: [.v6]
)
