import Foundation
import Hummingbird
import Node
import QEMU

/// The migration routes: the CLI's steps with the same meaning.
extension DaemonRoutes {
    func addMigration(to router: Router<BasicRequestContext>) {
        router.get("/v1/instances/{name}/migration-info") { request, context in
            await Self.answer(request) {
                let info = try await registry.migrationInfo(try Self.name(context))
                return Self.respond(status: .ok, contentType: "application/json", text: info.json().text())
            }
        }
        router.post("/v1/instances/{name}/accept") { request, context in
            await Self.answer(request) {
                let name = try Self.name(context)
                let body = try await Self.require(AcceptRequest.self, request)
                let info: MigrationInfo
                do {
                    info = try MigrationInfo.parse(body.migrationInfo, file: "migration_info")
                } catch {
                    throw Problem(
                        status: 400, code: "invalid-spec", title: "the migration info is not valid",
                        detail: "\(error)", path: request.uri.path)
                }
                guard info.instance == name else {
                    throw Problem(
                        status: 400, code: "invalid-spec", title: "the migration info is for another instance",
                        detail: "migration_info.instance: \(info.instance) is not \(name)", path: request.uri.path)
                }
                let listen = try MigrationAddress(body.listen, field: "listen")
                return try await operate(request, "accept", name, reason: body.reason) {
                    (
                        .created,
                        try await registry.accept(
                            info, listen: listen, postcopy: body.postcopy ?? false, reason: body.reason)
                    )
                }
            }
        }
        router.post("/v1/instances/{name}/migrate") { request, context in
            await Self.answer(request) {
                let name = try Self.name(context)
                let body = try await Self.require(MigrateRequest.self, request)
                let target = try MigrationAddress(body.target, field: "target")
                for (field, value) in [("bandwidth", body.bandwidth), ("downtime", body.downtime)] {
                    if let value, value < 0 {
                        throw Problem(
                            status: 400, code: "bad-request", title: "\(field) is negative",
                            detail: "\(field): \(value)",
                            path: request.uri.path)
                    }
                }
                let settings = MigrationSettings(
                    offline: body.offline ?? false, bandwidth: body.bandwidth, downtime: body.downtime,
                    postcopy: body.postcopy ?? false)
                let peer = try body.targetDaemon.map { address throws(InstanceError) in try PeerDaemon(address) }
                return try await operate(request, "migrate", name, reason: body.reason) {
                    guard let peer else {
                        return (
                            .ok, try await registry.migrate(name, to: target, settings: settings, reason: body.reason)
                        )
                    }
                    return (
                        .ok,
                        try await registry.migrate(
                            name, to: target, through: peer, settings: settings, reason: body.reason)
                    )
                }
            }
        }
        router.post("/v1/instances/{name}/finalize") { request, context in
            await Self.answer(request) {
                let name = try Self.name(context)
                let body = try await Self.require(FinalizeRequest.self, request)
                return try await operate(request, "finalize", name, reason: body.reason) {
                    let outcome = try await registry.finalize(
                        name, success: body.success, timeout: .milliseconds(Int64((body.timeout ?? 60) * 1000)),
                        paused: body.paused ?? false, reason: body.reason)
                    if let outcome { return (.ok, outcome) }
                    return (.ok, ["abandoned": name])
                }
            }
        }
        router.post("/v1/instances/{name}/migrate-cancel") { request, context in
            await Self.answer(request) {
                let name = try Self.name(context)
                try await registry.cancelMigration(name)
                return Self.json(["cancelling": name], request, status: .accepted)
            }
        }
    }

    /// A JSON body that must be there.
    static func require<T: Decodable>(_ type: T.Type, _ request: Request) async throws -> T {
        guard let value = try await decode(type, request) else {
            throw Problem(
                status: 400, code: "bad-request", title: "a body is needed", detail: "the request has no JSON body",
                path: request.uri.path)
        }
        return value
    }
}
