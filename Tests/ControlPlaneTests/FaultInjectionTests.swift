import Testing

@testable import ControlPlane

/// The test-only fault rules of `sortie serve --inject-faults`.
struct FaultInjectionTests {
    @Test func rulesMatchMethodAndPathAndRunOutAfterTheirCount() throws {
        let faults = try FaultInjection(spec: "POST:/global/images=503x2, GET:/instanceGroupManagers/=drop, *:/upload/=operation-error")
        #expect(faults.take(method: "GET", path: "/compute/v1/projects/p/global/images") == nil)
        #expect(faults.take(method: "POST", path: "/compute/v1/projects/p/global/images") == .status(503))
        #expect(faults.take(method: "POST", path: "/compute/v1/projects/p/global/images") == .status(503))
        #expect(faults.take(method: "POST", path: "/compute/v1/projects/p/global/images") == nil)
        #expect(faults.take(method: "GET", path: "/compute/v1/projects/p/zones/z/instanceGroupManagers/g") == .drop)
        #expect(faults.take(method: "GET", path: "/compute/v1/projects/p/zones/z/instanceGroupManagers/g") == nil)
        #expect(faults.take(method: "PUT", path: "/upload/storage/v1/b/b/o") == .operationError)
    }

    @Test func aMalformedRuleIsRefusedWithTheExpectedShape() {
        for spec in ["POST/global/images=503", "POST:/x=teapot", "POST:=503"] {
            #expect(throws: FaultSpecError.self) { try FaultInjection(spec: spec) }
        }
        #expect("\(FaultSpecError(rule: "x"))".contains("METHOD:PATH-FRAGMENT=KIND[xCOUNT]"))
    }
}
