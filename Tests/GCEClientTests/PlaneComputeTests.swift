import Foundation
import GCEClient
import GCEModel
import Testing

/// Compute calls against a real `sortie serve`: images from an uploaded archive, operation
/// errors, requestId deduplication through injected faults, and the load-balancer chain.
@Suite(.serialized) struct PlaneComputeTests {
    /// A GCE archive of the test kernel, built by `sortie image build`.
    static func buildArchive() throws -> String {
        let dir = makeTemporaryDirectory("image")
        let out = dir + "/test-kernel.tar.gz"
        let result = runProgram(Repo.sortie, ["image", "build", Repo.multibootKernel, "--cmdline", "hang gce-client-test", "-o", out],
                                environment: ["SORTIE_CACHE_DIR": dir + "/cache"])
        try #require(result.status == 0, "sortie image build failed: \(result.output)")
        return out
    }

    @Test func imageFromAnUploadedArchive() async throws {
        let archive = try Self.buildArchive()
        try await withPlane { plane, transport in
            let client = plane.client(transport: transport)
            let compute = client.compute
            let bucket = uniqueName("images")
            _ = try await client.storage.insertBucket(Bucket(name: bucket))
            let object = try await client.storage.upload(file: archive, bucket: bucket, name: "images/test.tar.gz",
                                                         contentType: "application/gzip", chunkSize: 262_144).object
            let name = uniqueName("img")
            let image = Image(name: name, family: "gce-client", description: "test kernel",
                              rawDisk: .init(source: GCETarget.imageSourceURL(bucket: bucket, object: object.name)),
                              labels: ["app": "gce-client", "release": "r1"])
            let op = try await compute.images.insert(image)
            #expect(op.operationType == "insert" && op.clientOperationId != nil)
            let done = try await compute.wait(for: op, timeout: .seconds(120))
            #expect(done.isDone && done.error == nil)
            let ready = try await compute.images.get(name)
            #expect(ready.status == "READY" && ready.family == "gce-client" && ready.labels?["release"] == "r1")
            #expect((ready.diskSizeGb?.value ?? 0) >= 1)
            #expect(try await compute.images.getFromFamily("gce-client").name == name)
            #expect(try await compute.images.list(filter: ComputeFilter.equal(["family": "gce-client"])).map(\.name) == [name])
            #expect(try await compute.images.list(filter: ComputeFilter.equal(["labels.release": "r1"])).map(\.name) == [name])
            #expect(try await compute.images.list(filter: ComputeFilter.equal(["labels.release": "r2"])).isEmpty)

            _ = try await compute.wait(for: try await compute.images.deprecate(name, DeprecationStatus(state: "DEPRECATED")))
            #expect(try await compute.images.get(name).deprecated?.state == "DEPRECATED")
            #expect(try await compute.ifExists { try await compute.images.getFromFamily("gce-client") } == nil)
            _ = try await compute.wait(for: try await compute.images.delete(name))
            #expect(try await compute.ifExists { try await compute.images.get(name) } == nil)
        }
    }

    @Test func aFailedImportIsATypedOperationError() async throws {
        try await withPlane { plane, transport in
            let client = plane.client(transport: transport)
            let bucket = uniqueName("images")
            _ = try await client.storage.insertBucket(Bucket(name: bucket))
            let junk = makeFile(makeTemporaryDirectory("junk") + "/junk.tar.gz", size: 4096)
            _ = try await client.storage.upload(file: junk, bucket: bucket, name: "junk.tar.gz")
            let op = try await client.compute.images.insert(
                Image(name: uniqueName("bad"), rawDisk: .init(source: GCETarget.imageSourceURL(bucket: bucket, object: "junk.tar.gz"))))
            let error = await #expect(throws: OperationFailedError.self) {
                _ = try await client.compute.wait(for: op, timeout: .seconds(60))
            }
            #expect(error?.errors.first?.code == "INVALID_FIELD_VALUE")
            #expect(error?.errors.first?.message?.contains("not a gzip-compressed tar archive") == true)
            #expect(error?.httpStatus == 400)
        }
    }

    @Test func aRetriedInsertCreatesOneResource() async throws {
        try await withPlane { plane, transport in
            try await FaultProxy.with(upstream: plane.address) { proxy in
                let client = plane.client(transport: transport, address: proxy.address, retry: quickRetry)
                // The plane creates the health check but the answer is lost; then a 503; then the answer.
                proxy.inject(.forwardThenDrop, method: "POST", uriContains: "/global/healthChecks")
                proxy.inject(.fail(503, reason: "backendError"), method: "POST", uriContains: "/global/healthChecks")
                let name = uniqueName("hc")
                let op = try await client.compute.healthChecks.insert(
                    HealthCheck(name: name, http: .init(port: 8080, requestPath: "/health"), checkIntervalSec: 5, timeoutSec: 5))
                let posts = proxy.seen.filter { $0.method == "POST" && $0.uri.contains("/global/healthChecks") }
                #expect(posts.count == 3 && posts.filter(\.injected).count == 2)
                let ids = Set(posts.map { URLComponents(string: $0.uri)?.queryItems?.first { $0.name == "requestId" }?.value })
                #expect(ids.count == 1 && ids.first! != nil)
                #expect(op.clientOperationId == ids.first!)
                _ = try await client.compute.wait(for: op)
                let all = try await client.compute.healthChecks.list()
                #expect(all.filter { $0.name == name }.count == 1)
                #expect(try await client.compute.healthChecks.get(name).httpHealthCheck?.requestPath == "/health")

                // Rate limiting on a read is waited out too.
                proxy.inject(.fail(429, reason: "rateLimitExceeded"), method: "GET", uriContains: "/global/healthChecks/", times: 2)
                #expect(try await client.compute.healthChecks.get(name).name == name)

                // A plain client error is not retried.
                let before = proxy.seen.count
                let error = await #expect(throws: GCEAPIError.self) {
                    _ = try await client.compute.healthChecks.insert(HealthCheck(name: name, http: .init(port: 8080)))
                }
                #expect(error?.isAlreadyExists == true && error?.reason == "alreadyExists")
                #expect(proxy.seen.count == before + 1)
            }
        }
    }

    @Test func theLoadBalancerChainWithAnEmptyGroup() async throws {
        let archive = try Self.buildArchive()
        try await withPlane { plane, transport in
            let client = plane.client(transport: transport)
            let compute = client.compute
            let zone = ComputeScope.zone("local1-a")
            let bucket = uniqueName("images")
            _ = try await client.storage.insertBucket(Bucket(name: bucket))
            _ = try await client.storage.upload(file: archive, bucket: bucket, name: "app.tar.gz")
            let app = uniqueName("app")
            func run(_ op: ComputeOperation) async throws { _ = try await compute.wait(for: op, timeout: .seconds(120)) }

            try await run(try await compute.images.insert(Image(name: app, family: app,
                rawDisk: .init(source: GCETarget.imageSourceURL(bucket: bucket, object: "app.tar.gz")))))
            try await run(try await compute.healthChecks.insert(HealthCheck(name: app + "-hc", http: .init(port: 8080, requestPath: "/health"))))
            try await run(try await compute.firewalls.insert(Firewall(name: app + "-fw", sourceRanges: ["35.191.0.0/16", "130.211.0.0/22"],
                                                                       targetTags: [app], allowed: [.init(ipProtocol: "tcp", ports: ["8080"])])))
            let properties = InstanceProperties(machineType: "e2-small", disks: [AttachedDisk(bootFrom: compute.link(Image.self, app))],
                                                networkInterfaces: [NetworkInterface()], metadata: Metadata(["serial-port-enable": "TRUE"]),
                                                tags: Tags(items: [app]), labels: ["app": app])
            try await run(try await compute.instanceTemplates.insert(InstanceTemplate(name: app + "-v1", properties: properties)))
            let templateLink = compute.link(InstanceTemplate.self, app + "-v1")
            #expect(try await compute.instanceTemplates.get(app + "-v1").properties?.machineType == "e2-small")

            let groups = compute.instanceGroupManagers(zone)
            let group = InstanceGroupManager(
                name: app + "-mig", baseInstanceName: app, versions: [.init(name: "v1", instanceTemplate: templateLink)], targetSize: 0,
                namedPorts: [NamedPort(name: "http", port: 8080)],
                autoHealingPolicies: [.init(healthCheck: compute.link(HealthCheck.self, app + "-hc"), initialDelaySec: 30)],
                updatePolicy: .init(maxSurge: .init(fixed: 1), maxUnavailable: .init(fixed: 0)))
            try await run(try await groups.insert(group))
            let created = try await groups.get(app + "-mig")
            #expect(created.namedPorts == [NamedPort(name: "http", port: 8080)] && created.instanceGroup != nil)
            #expect(try await groups.listManagedInstances(app + "-mig").isEmpty)

            // A rollout is a PATCH of versions.
            try await run(try await compute.instanceTemplates.insert(InstanceTemplate(name: app + "-v2", properties: properties)))
            var patch = InstanceGroupManager()
            patch.versions = [.init(name: "v2", instanceTemplate: compute.link(InstanceTemplate.self, app + "-v2"))]
            try await run(try await groups.patch(app + "-mig", patch))
            #expect(try await groups.get(app + "-mig").versions?.first?.name == "v2")

            let autoscalers = compute.autoscalers(zone)
            try await run(try await autoscalers.insert(Autoscaler(name: app + "-as", target: compute.link(InstanceGroupManager.self, app + "-mig", in: zone),
                autoscalingPolicy: .init(minNumReplicas: 0, maxNumReplicas: 2, coolDownPeriodSec: 30,
                                         cpuUtilization: .init(utilizationTarget: 0.6), mode: "OFF"))))
            var scale = Autoscaler()
            scale.autoscalingPolicy = .init(minNumReplicas: 0, maxNumReplicas: 3, mode: "OFF")
            try await run(try await autoscalers.patch(autoscaler: app + "-as", scale))
            #expect(try await autoscalers.get(app + "-as").autoscalingPolicy?.maxNumReplicas == 3)

            let groupURL = try #require(created.instanceGroup)
            try await run(try await compute.backendServices.insert(BackendService(
                name: app + "-bs", portName: "http", healthChecks: [compute.link(HealthCheck.self, app + "-hc")],
                backends: [.init(group: groupURL)], timeoutSec: 30, drainingTimeoutSec: 5)))
            #expect(try await compute.backendServices.getHealth(app + "-bs", group: groupURL).healthStatus ?? [] == [])
            var drain = BackendService()
            drain.connectionDraining = .init(drainingTimeoutSec: 10)
            // GCE (and the plane) refuse a backend service update without the current fingerprint.
            drain.fingerprint = try await compute.backendServices.get(app + "-bs").fingerprint
            try await run(try await compute.backendServices.patch(app + "-bs", drain))
            #expect(try await compute.backendServices.get(app + "-bs").connectionDraining?.drainingTimeoutSec == 10)
            try await run(try await compute.urlMaps.insert(UrlMap(name: app + "-um", defaultService: compute.link(BackendService.self, app + "-bs"))))
            try await run(try await compute.targetHttpProxies.insert(TargetHttpProxy(name: app + "-px", urlMap: compute.link(UrlMap.self, app + "-um"))))
            let port = try freeLoopbackPort()
            try await run(try await compute.globalForwardingRules.insert(ForwardingRule(
                name: app + "-fr", target: compute.link(TargetHttpProxy.self, app + "-px"), portRange: String(port), ipAddress: "127.0.0.1")))
            let rule = try await compute.globalForwardingRules.get(app + "-fr")
            #expect(rule.ipAddress == "127.0.0.1" && rule.portRange == "\(port)-\(port)", "GCE stores a single port as N-N")
            #expect(try await compute.globalForwardingRules.list().map(\.name) == [app + "-fr"])

            // Teardown in reverse order, and templates once unused.
            try await run(try await compute.globalForwardingRules.delete(app + "-fr"))
            try await run(try await autoscalers.delete(app + "-as"))
            let inUse = await #expect(throws: GCEAPIError.self) { _ = try await compute.instanceTemplates.delete(app + "-v2") }
            #expect(inUse?.reason == "resourceInUseByAnotherResource")
        }
    }
}

/// A loopback port free right now.
func freeLoopbackPort() throws -> Int {
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    defer { close(fd) }
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_addr.s_addr = inet_addr("127.0.0.1")
    address.sin_port = 0
    var length = socklen_t(MemoryLayout<sockaddr_in>.size)
    let bound = withUnsafeMutablePointer(to: &address) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) == 0 && getsockname(fd, $0, &length) == 0 }
    }
    guard bound else { throw POSIXError(.EADDRINUSE) }
    return Int(UInt16(bigEndian: address.sin_port))
}
