import Foundation
import HostNet
import Logging

/// The loop of a hook worker process (`taphouse hooks worker`): reads a request from the node,
/// runs it, writes the answer, until the node closes the channel. It never returns early on a
/// hook's failure: every failure is an answer.
public enum HookWorkerServer {
    /// The descriptor a worker gets its channel on.
    public static let channelDescriptor: Int32 = 3
    /// The reason ``serve(_:logger:)`` gives for the normal end.
    public static let closedByNode = "the node closed the channel"

    /// Serves the node on `channel` until it is closed; returns the reason it stopped.
    public static func serve(_ channel: FrameChannel, logger: Logger) -> String {
        let engine = HookWorkerEngine(logger: logger)
        engine.progress = { wait in
            let (seconds, attoseconds) = wait.components
            let milliseconds = Int(clamping: seconds * 1000 + attoseconds / 1_000_000_000_000_000)
            // A note the node may miss only if it is gone, and then nothing waits for it.
            try? channel.send(
                try HookWorkerWire.encode(.extend(milliseconds: milliseconds)), deadline: .now + .seconds(5))
        }
        var setups: [UInt64: HookWorkerSetup] = [:]
        while true {
            let frame: [UInt8]
            do {
                frame = try channel.receive(deadline: nil)
            } catch .closed {
                return closedByNode
            } catch {
                return "cannot read from the node: \(error)"
            }
            // The node waits for each answer under its own deadline; a worker that cannot write
            // within a minute has lost its node.
            let answer = { (response: HookWorkerResponse) throws in
                try channel.send(try HookWorkerWire.encode(response), deadline: .now + .seconds(60))
            }
            do {
                let request: HookWorkerRequest
                do {
                    request = try HookWorkerWire.decodeRequest(frame, setups: &setups)
                } catch {
                    try answer(.refused("cannot decode the request: \(error)"))
                    continue
                }
                try engine.handle(request, answer: answer)
            } catch {
                return "cannot answer the node: \(error)"
            }
        }
    }
}
