import QEMU
import Testing

@testable import QMP

@Suite("QMP messages and lines")
struct QMPMessageTests {
    private func parse(_ text: String) throws(QMPError) -> QMPMessage {
        try QMPMessage.parse(Array(text.utf8))
    }

    @Test func greetingGivesVersionAndCapabilities() throws {
        let message = try parse(
            #"{"QMP": {"version": {"qemu": {"micro": 22, "minor": 2, "major": 7}, "package": "Debian"}, "capabilities": ["oob"]}}"#
        )
        #expect(message == .greeting(version: "7.2.22", capabilities: ["oob"]))
    }

    @Test func answersKeepTheirIdsAndRefusalsTheirClass() throws {
        #expect(try parse(#"{"return": {}, "id": "taphouse-1"}"#) == .success(id: "taphouse-1", value: [:]))
        #expect(try parse(#"{"return": {}, "id": 7}"#) == .success(id: "7", value: [:]))
        #expect(
            try parse(
                #"{"id": "taphouse-3", "error": {"class": "CommandNotFound", "desc": "The command nope has not been found"}}"#
            )
                == .failure(
                    id: "taphouse-3", errorClass: "CommandNotFound", description: "The command nope has not been found")
        )
        #expect(
            try parse(#"{"error": {"class": "GenericError", "desc": "JSON parse error"}}"#)
                == .failure(id: nil, errorClass: "GenericError", description: "JSON parse error"))
    }

    @Test func eventTimestampIsSecondsSinceEpoch() throws {
        let message = try parse(
            #"{"timestamp": {"seconds": 1795815374, "microseconds": 639379}, "event": "SHUTDOWN", "data": {"guest": false}}"#
        )
        #expect(
            message
                == .event(QMPEvent(name: "SHUTDOWN", data: ["guest": false], timestamp: 1_795_815_374.639379)))
    }

    @Test func whatIsNotQMPIsAProtocolErrorQuotingIt() {
        for text in ["nope", "[1, 2]", #"{"hello": 1}"#, #"{"error": "flat"}"#, #"{"QMP": {}}"#] {
            let error = catchQMPError { try parse(text) }
            #expect(error?.code == .protocol, "\(text)")
            #expect(error?.message.hasSuffix(text) == true, "\(text)")
        }
    }

    @Test func requestIsOneLineWithArgumentsOnlyWhenGiven() throws {
        let plain = try QMPMessage.request("query-status", arguments: [:], id: "taphouse-1")
        #expect(String(decoding: plain, as: UTF8.self) == #"{"execute":"query-status","id":"taphouse-1"}"# + "\n")
        let full = try QMPMessage.request("eject", arguments: ["device": "cd/0", "force": true], id: "taphouse-2")
        #expect(
            String(decoding: full, as: UTF8.self)
                == #"{"arguments":{"device":"cd/0","force":true},"execute":"eject","id":"taphouse-2"}"# + "\n")
    }

    @Test func unencodableArgumentsAreRefusedBeforeSending() {
        let error = catchQMPError { try QMPMessage.request("x", arguments: ["n": .double(.nan)], id: "taphouse-1") }
        #expect(error?.command == "x")
    }

    @Test func linesSplitOnCRLFAcrossChunksAndSkipBlankOnes() throws {
        var buffer = LineBuffer()
        buffer.append(Array(#"{"a":"#.utf8))
        #expect(try buffer.nextLine() == nil)
        buffer.append(Array("1}\r\n\r\n\n{\"b\"".utf8))
        #expect(try buffer.nextLine().map { String(decoding: $0, as: UTF8.self) } == #"{"a":1}"#)
        #expect(try buffer.nextLine() == nil)
        buffer.append(Array(":2}\n".utf8))
        #expect(try buffer.nextLine().map { String(decoding: $0, as: UTF8.self) } == #"{"b":2}"#)
        #expect(try buffer.nextLine() == nil)
        #expect(buffer.isEmpty)
    }

    @Test func durationsReadShortInMessages() {
        #expect(Duration.seconds(2).shortText == "2s")
        #expect(Duration.milliseconds(1500).shortText == "1.5s")
        #expect(Duration.milliseconds(250).shortText == "250ms")
        #expect(Duration.microseconds(340).shortText == "340us")
    }
}
