import Foundation

/// Checks an answer of the daemon against its OpenAPI document: the route and the status are
/// described, and the body has the described shape (JSON Schema's `type`, `required`,
/// `properties`, `items`, `enum` and `$ref`, which is all the document uses).
struct OpenAPIValidator {
    let document: [String: Any]

    /// The problems of `body` as the answer with `status` to `method` on `path` (a template,
    /// `/v1/instances/{name}`); none when it matches.
    func problems(method: String, path: String, status: Int, body: String) -> [String] {
        guard let paths = document["paths"] as? [String: Any], let route = paths[path] as? [String: Any] else {
            return ["\(path) is not in the document"]
        }
        guard let operation = route[method.lowercased()] as? [String: Any] else {
            return ["\(method) \(path) is not in the document"]
        }
        guard var response = (operation["responses"] as? [String: Any])?[String(status)] as? [String: Any] else {
            return ["\(method) \(path) answered \(status), which the document does not list"]
        }
        if let reference = response["$ref"] as? String, let resolved = resolve(reference) { response = resolved }
        guard let content = response["content"] as? [String: Any] else { return [] }
        guard let media = content.values.first as? [String: Any], let schema = media["schema"] as? [String: Any]
        else { return [] }
        if content.keys.contains(where: { $0.hasPrefix("text/") }) { return [] }
        guard let value = try? JSONSerialization.jsonObject(with: Data(body.utf8), options: [.fragmentsAllowed]) else {
            return ["\(method) \(path) \(status): the body is not JSON: \(body.prefix(200))"]
        }
        return check(value, schema, at: "\(method) \(path) \(status)")
    }

    /// The document's path template a concrete path answers to (`/v1/instances/web1/stop` is
    /// `/v1/instances/{name}/stop`), without its query.
    func template(for path: String) -> String {
        let plain = path.split(separator: "?", maxSplits: 1).first.map(String.init) ?? path
        let parts = plain.split(separator: "/", omittingEmptySubsequences: false)
        let templates = (document["paths"] as? [String: Any])?.keys.sorted() ?? []
        return templates.first { template in
            let pattern = template.split(separator: "/", omittingEmptySubsequences: false)
            return pattern.count == parts.count
                && zip(pattern, parts).allSatisfy { $0.hasPrefix("{") || $0 == $1 }
        } ?? plain
    }

    private func resolve(_ reference: String) -> [String: Any]? {
        var node: Any = document
        for part in reference.dropFirst(2).split(separator: "/") {
            guard let next = (node as? [String: Any])?[String(part)] else { return nil }
            node = next
        }
        return node as? [String: Any]
    }

    private func check(_ value: Any, _ schema: [String: Any], at where_: String) -> [String] {
        if let reference = schema["$ref"] as? String {
            guard let resolved = resolve(reference) else { return ["\(where_): \(reference) does not resolve"] }
            return check(value, resolved, at: where_)
        }
        if let allowed = schema["enum"] as? [String], let text = value as? String, !allowed.contains(text) {
            return ["\(where_): \(text) is not one of \(allowed)"]
        }
        switch schema["type"] as? String {
        case "object":
            guard let object = value as? [String: Any] else { return ["\(where_): not an object"] }
            var problems = ((schema["required"] as? [String]) ?? []).filter { object[$0] == nil }.map {
                "\(where_): \($0) is missing"
            }
            let properties = schema["properties"] as? [String: Any] ?? [:]
            for (key, child) in object {
                guard let described = properties[key] as? [String: Any] else {
                    if !properties.isEmpty { problems.append("\(where_): \(key) is not described") }
                    continue
                }
                problems += check(child, described, at: "\(where_).\(key)")
            }
            return problems
        case "array":
            guard let array = value as? [Any] else { return ["\(where_): not an array"] }
            guard let items = schema["items"] as? [String: Any] else { return [] }
            return array.enumerated().flatMap { check($1, items, at: "\(where_)[\($0)]") }
        case "string":
            return value is String ? [] : ["\(where_): not a string"]
        case "integer":
            // Foundation on Linux reads some whole numbers as doubles, and 0 and 1 pass as Bool
            // too: integral is what counts.
            guard let number = value as? NSNumber, number.doubleValue.rounded() == number.doubleValue
            else { return ["\(where_): not an integer"] }
            return []
        case "number":
            return value is NSNumber ? [] : ["\(where_): not a number"]
        case "boolean":
            return value is Bool ? [] : ["\(where_): not a boolean"]
        default:
            return []
        }
    }
}
