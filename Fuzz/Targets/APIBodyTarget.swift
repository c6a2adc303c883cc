import DaemonAPI
import Foundation
import Node
import QEMU

/// The daemon's request bodies, read as its routes read them (``APIBody``). An input is a
/// request line (`POST /v1/instances/web1/accept`, `GET /v1/operations/7?wait=5`) and, after
/// the first newline, the body. A refusal must be a 400 problem that says what does not read;
/// a body that is taken, encoded as the API's JSON and read again, is the same request; a spec
/// that is taken plans as the spec target checks.
enum APIBodyTarget: FuzzTarget {
    static let name = "api-body"

    static func run(_ input: [UInt8]) throws(FuzzFinding) {
        let newline = input.firstIndex(of: 0x0a) ?? input.endIndex
        let line = String(decoding: input[..<newline], as: UTF8.self)
        let body = newline < input.endIndex ? Array(input[(newline + 1)...]) : []
        let words = line.split(separator: " ", maxSplits: 1).map(String.init)
        guard words.count == 2 else { return }
        let target = words[1].split(separator: "?", maxSplits: 1, omittingEmptySubsequences: false).map(String.init)
        let path = target[0]
        let parts = path.split(separator: "/", omittingEmptySubsequences: false).map(String.init)
        do {
            switch (words[0], parts.count, parts.last ?? "") {
            case ("POST", 3, "instances"), ("POST", 3, "plan"):
                _ = try APIBody.spec(body, path: path)
                try SpecTarget.run(body)
            case ("POST", 5, "stop"), ("POST", 5, "reboot"), ("POST", 5, "cleanup"):
                let request = try APIBody.decode(StopRequest.self, body, path: path) ?? StopRequest()
                _ = try APIBody.duration(request.timeout, field: "timeout", fallback: 120, path: path)
                try roundTrip(request)
            case ("POST", 5, "accept"):
                let request = try APIBody.require(AcceptRequest.self, body, path: path)
                let (info, _) = try request.checked(name: parts[3], path: path)
                guard info.instance == parts[3] else { throw FuzzFinding("an info for \(info.instance) was taken") }
                try roundTrip(request)
            case ("POST", 5, "migrate"):
                let request = try APIBody.require(MigrateRequest.self, body, path: path)
                let (_, settings) = try request.checked(path: path)
                guard (settings.bandwidth ?? 0) >= 0, (settings.downtime ?? 0) >= 0 else {
                    throw FuzzFinding("a negative bandwidth or downtime was taken")
                }
                try roundTrip(request)
            case ("POST", 5, "finalize"):
                let request = try APIBody.require(FinalizeRequest.self, body, path: path)
                _ = try APIBody.duration(request.timeout, field: "timeout", fallback: 60, path: path)
                try roundTrip(request)
            case ("GET", 4, _) where parts[2] == "operations":
                let wait = target.count > 1 ? target[1].split(separator: "=", maxSplits: 1).last.map(String.init) : nil
                _ = try APIBody.duration(wait.map { Double($0) ?? .nan }, field: "wait", fallback: 0, path: path)
            default:
                return
            }
        } catch let problem as Problem {
            guard problem.status == 400, !problem.detail.isEmpty, problem.instance == path else {
                throw FuzzFinding("a refusal that is not a 400 saying why: \(problem)")
            }
        } catch let finding as FuzzFinding {
            throw finding
        } catch {
            throw FuzzFinding("a refusal that is no problem document: \(error)")
        }
    }

    /// A request the API took, encoded as its JSON (snake case) and read again, is the same.
    static func roundTrip<T: Codable & Equatable>(_ request: T) throws(FuzzFinding) {
        let encoder = JSONEncoder()
        encoder.keyEncodingStrategy = .convertToSnakeCase
        let again: T?
        do {
            again = try APIBody.decode(T.self, Array(try encoder.encode(request)), path: "/")
        } catch {
            throw FuzzFinding("a request that was taken does not read once written: \(error)")
        }
        guard again == request else { throw FuzzFinding("a request written and read again differs: \(request)") }
    }
}
