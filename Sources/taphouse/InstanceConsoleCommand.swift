import ArgumentParser
import Foundation
import Node
import QEMU

/// `taphouse instance console NAME [--json]`.
struct InstanceConsoleCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "console", abstract: "Attach to an instance's serial console, or say how to reach its console.",
        discussion: """
            With a serial console, the terminal is attached to it (Ctrl-] leaves) and a paused instance is \
            resumed once attached. Otherwise it says where VNC or SPICE listens. --json prints the console \
            description (kind ssh, vnc, spice or message) after the site's console.lua policy.
            """)

    @Argument(help: "The instance name.") var name: String
    @Flag(help: "Print the console description as JSON instead of attaching.") var json = false
    @OptionGroup var node: NodeOptions

    func run() async throws {
        try await reporting {
            let manager = try node.manager()
            let description = try manager.console(name, command: attachCommand)
            if json {
                print(try InstanceInfoCommand.encode(description))
                return
            }
            switch description {
            case .ssh:
                try attach(manager)
            case .vnc(let host, let port, let display):
                print("Instance \(name) has VNC listening on \(host):\(port) (display \(display))")
            case .spice(let host, let port, let tlsPort):
                print(
                    "Instance \(name) has SPICE listening on \(host):\(tlsPort ?? port)\(tlsPort == nil ? "" : " (TLS)")"
                )
            case .message(let message):
                throw CommandFailure(message)
            }
        }
    }

    private func attach(_ manager: InstanceManager) throws {
        let ending = try manager.attachSerialConsole(name) {
            FileHandle.standardError.write(Data("Connected to the serial console of \(name). Ctrl-] leaves.\r\n".utf8))
        }
        let farewell =
            switch ending {
            case .detached: "\r\nDetached from \(name).\n"
            case .closed: "\r\nThe console of \(name) closed: the instance stopped.\n"
            case .inputEnded: "\r\n"
            }
        FileHandle.standardError.write(Data(farewell.utf8))
    }

    /// What attaches on this node: this very program and command, with the state folder in force,
    /// for the `command` of an ssh console.
    private var attachCommand: [String] {
        let program =
            (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe"))
            ?? CommandLine.arguments[0]
        return [program, "instance", "console", name, "--state-dir", node.stateDirectory.resolved]
    }
}
