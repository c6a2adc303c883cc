import Foundation
import FuzzTargets

/// The target libFuzzer drives: `TAPHOUSE_FUZZ_TARGET` names it (scripts/fuzz.sh sets it).
private let selected: any FuzzTarget.Type = {
    let name = ProcessInfo.processInfo.environment["TAPHOUSE_FUZZ_TARGET"] ?? ""
    guard let target = FuzzTargets.named(name) else {
        fatalError(
            "TAPHOUSE_FUZZ_TARGET=\(name): not a target (\(FuzzTargets.all.map { $0.name }.joined(separator: ", ")))")
    }
    return target
}()

/// libFuzzer's entry: a finding is a crash, so that libFuzzer keeps the input.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let input = data.map { Array(UnsafeBufferPointer(start: $0, count: size)) } ?? []
    do {
        try selected.run(input)
    } catch {
        fatalError("\(selected.name): \(error)")
    }
    return 0
}

#if !FUZZING
/// Built without the fuzzer: `--list` names the targets; `TARGET FILE...` runs files through one
/// (a crash input's replay).
@main
enum Replay {
    static func main() {
        let arguments = Array(CommandLine.arguments.dropFirst())
        if arguments.first == "--list" {
            for target in FuzzTargets.all { print(target.name) }
            return
        }
        guard let name = arguments.first, let target = FuzzTargets.named(name), arguments.count > 1 else {
            print("usage: taphouse-fuzz --list | TARGET FILE...")
            exit(2)
        }
        var failed = false
        for file in arguments.dropFirst() {
            let input = Array(FileManager.default.contents(atPath: file) ?? Data())
            do {
                try target.run(input)
                print("\(file): ok")
            } catch {
                print("\(file): \(error)")
                failed = true
            }
        }
        exit(failed ? 1 : 0)
    }
}
#endif
