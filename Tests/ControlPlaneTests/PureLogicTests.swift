import Foundation
import HTTPTypes
import Testing
@testable import ControlPlane
import StorageChecksums

@Suite struct ListFilterTests {
    let images: [JSONValue] = [
        ["name": "hello-1", "family": "hello", "status": "READY", "labels": ["app": "hello"]],
        ["name": "hello-2", "family": "hello", "status": "PENDING", "labels": ["app": "hello"]],
        ["name": "other-1", "family": "other", "status": "READY"],
    ]

    func names(_ filter: String) -> [String] {
        images.filter { ListFilter(filter).matches($0) }.compactMap { $0["name"]?.string }
    }

    @Test func equalityConjunctionsAndNegation() {
        #expect(names("family = hello") == ["hello-1", "hello-2"])
        #expect(names("(family = \"hello\") (status = READY)") == ["hello-1"])
        #expect(names("family=hello AND status!=READY") == ["hello-2"])
        #expect(names("labels.app eq hello") == ["hello-1", "hello-2"])
        #expect(names("name = hello-.*") == ["hello-1", "hello-2"])
        #expect(names("family ne hello") == ["other-1"])
    }
}

@Suite struct ResourceReferenceTests {
    @Test(arguments: [
        "https://www.googleapis.com/compute/v1/projects/p/global/images/img",
        "https://compute.googleapis.com/compute/v1/projects/p/global/images/img",
        "http://127.0.0.1:8765/compute/v1/projects/p/global/images/img",
        "projects/p/global/images/img", "global/images/img", "img",
    ])
    func imageReferencesResolve(_ text: String) {
        let ref = ResourceReference.parse(text, project: "p", scope: "global", collection: "images")
        #expect(ref == ResourceReference(project: "p", scope: "global", collection: "images", name: "img"))
    }

    @Test func familiesAndOtherProjects() {
        let family = ResourceReference.parse("projects/debian-cloud/global/images/family/debian-12", project: "p", scope: "global", collection: "images")
        #expect(family?.project == "debian-cloud" && family?.name == "family/debian-12")
        #expect(ResourceReference.parse("global/firewalls/x", project: "p", scope: "global", collection: "images") == nil)
    }
}

@Suite struct StorageProtocolTests {
    @Test func contentRangeForms() throws {
        #expect(try StorageService.parseContentRange("bytes 0-262143/1000000", bodyLength: 262_144) == (0, 1_000_000))
        #expect(try StorageService.parseContentRange("bytes 262144-524287/*", bodyLength: 262_144) == (262_144, nil))
        #expect(try StorageService.parseContentRange("bytes */1000000", bodyLength: 0) == (nil, 1_000_000))
        #expect(try StorageService.parseContentRange("bytes */*", bodyLength: 0) == (nil, nil))
        #expect(throws: APIError.self) { try StorageService.parseContentRange("bytes 0-9/100", bodyLength: 5) }
        #expect(throws: APIError.self) { try StorageService.parseContentRange("items 0-9/10", bodyLength: 10) }
    }

    @Test func rangeRequests() {
        #expect(StorageService.parseRange("bytes=0-9", size: 100)! == (0, 9))
        #expect(StorageService.parseRange("bytes=90-", size: 100)! == (90, 99))
        #expect(StorageService.parseRange("bytes=-10", size: 100)! == (90, 99))
        #expect(StorageService.parseRange("bytes=100-", size: 100) == nil)
    }

    @Test func multipartBodiesSplitIntoMetadataAndMedia() throws {
        let body = "--b1\r\nContent-Type: application/json\r\n\r\n{\"name\":\"a/b c\"}\r\n--b1\r\nContent-Type: application/octet-stream\r\n\r\n\u{1}\u{2}data\r\n--b1--\r\n"
        let request = APIRequest(method: "POST", rawPath: "/upload/storage/v1/b/x/o", query: [:],
                                 headers: [.contentType: "multipart/related; boundary=b1"], body: Data(body.utf8))
        let (metadata, media) = try StorageService.parseMultipart(request)
        #expect(metadata["name"]?.string == "a/b c")
        #expect(media == Data("\u{1}\u{2}data".utf8))
    }

    @Test func checksumsMatchKnownValues() {
        var sums = ObjectChecksums()
        sums.update(Data("123456789".utf8))
        // CRC32C("123456789") = 0xE3069283; MD5 = 25f9e794323b453885f5181f1b624d0b.
        #expect(sums.crc32cBase64 == Data([0xE3, 0x06, 0x92, 0x83]).base64EncodedString())
        #expect(sums.md5Base64 == "JfnnlDI7RTiF9RgfG2JNCw==")
    }

    @Test func bucketNames() {
        #expect((try? StorageService.validateBucketName("my-bucket.v1")) != nil)
        for bad in ["ab", "Upper", "-x-", "a b"] { #expect(throws: APIError.self) { try StorageService.validateBucketName(bad) } }
    }
}

@Suite struct ComputeRulesTests {
    @Test func rfc1035Names() {
        #expect((try? Identifiers.validateName("hello-1")) != nil)
        for bad in ["", "Hello", "1abc", "a_b", "abc-", String(repeating: "a", count: 64)] {
            #expect(throws: APIError.self) { try Identifiers.validateName(bad) }
        }
    }

    @Test func mergePatchReplacesArraysAndRemovesNulls() {
        let base: JSONValue = ["a": 1, "versions": [["t": "x"]], "nested": ["keep": true, "drop": 1]]
        let patched = base.mergePatched(with: ["versions": [["t": "y"], ["t": "z"]], "nested": ["drop": .null]])
        #expect(patched["versions"]?.array?.count == 2)
        #expect(patched["nested"] == ["keep": true])
        #expect(patched["a"] == 1)
    }

    @Test func healthCheckDefaultsAndChecks() throws {
        var check: JSONValue = ["name": "hc", "type": "HTTP", "httpHealthCheck": ["port": 8080]]
        try ResourceValidation.healthCheck(&check)
        #expect(check["checkIntervalSec"] == 5 && check["httpHealthCheck"]?["requestPath"] == "/")
        var bad: JSONValue = ["name": "hc", "type": "HTTP", "checkIntervalSec": 2, "timeoutSec": 5]
        #expect(throws: APIError.self) { try ResourceValidation.healthCheck(&bad) }
        var noType: JSONValue = ["name": "hc"]
        #expect(throws: APIError.self) { try ResourceValidation.healthCheck(&noType) }
    }

    @Test func timestampsLookLikeGCEs() {
        let text = Identifiers.timestamp(Date(timeIntervalSince1970: 1_700_000_000.123))
        #expect(text == "2023-11-14T22:13:20.123+00:00")
    }

    @Test func jsonKeepsInt64StringsAndIntegers() {
        let value = JSONValue.parse(Data(#"{"id":"18446744073709551615","n":3,"f":1.5,"b":true}"#.utf8))!
        #expect(value["id"]?.string == "18446744073709551615")
        #expect(String(decoding: value.data, as: UTF8.self) == #"{"b":true,"f":1.5,"id":"18446744073709551615","n":3}"#)
    }
}
