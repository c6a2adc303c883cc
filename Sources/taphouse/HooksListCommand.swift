import ArgumentParser
import Foundation
import Hooks

/// `taphouse hooks list`: which file serves each NIC mode.
struct HooksListCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "list", abstract: "Show which hook file serves each NIC mode (site or built-in).")

    @OptionGroup var hooks: HooksDirectoryOption

    func run() throws {
        let directories = hooks.directories
        for mode in HookModes.all {
            let line: String
            if let site = directories.site, FileManager.default.fileExists(atPath: "\(site)/network/\(mode).lua") {
                line = "\(site)/network/\(mode).lua (site)"
            } else if FileManager.default.fileExists(atPath: "\(directories.builtin)/network/\(mode).lua") {
                line = "\(directories.builtin)/network/\(mode).lua (built-in)"
            } else {
                line = mode == "ext" ? "none: mode ext needs a site hook" : "none"
            }
            print("\(mode)\t\(line)")
        }
    }
}
