import Foundation
import DeployConfig
import GCEModel

/// The instance template of one release on one target: immutable, booting exactly the release's
/// image, with the target's machine type, boot disk, network and the service's metadata. Its name
/// (`ResourceNames.template(release:variant:)`) carries a digest of these properties, so a
/// configuration change with the same kernel is a new template that rolls out. Pure.
public enum ReleaseTemplate {
    public static func make(configuration: DeployConfiguration, target: Target, release: String,
                            metadata: [String: String]) -> InstanceTemplate {
        let names = ResourceNames(app: configuration.app)
        var bootDisk = AttachedDisk(bootFrom: "global/images/\(names.image(release: release))")
        bootDisk.initializeParams?.diskSizeGb = Int64String(Int64(target.bootDisk.sizeGb))
        bootDisk.initializeParams?.diskType = target.bootDisk.type
        var nic = NetworkInterface(network: "global/networks/\(target.network.value)", accessConfigs: [])
        nic.subnetwork = target.subnetwork.map { "regions/\(target.region)/subnetworks/\($0.value)" }
        var properties = InstanceProperties(
            machineType: target.machineType.value,
            disks: [bootDisk],
            networkInterfaces: [nic],
            metadata: metadata.isEmpty ? nil : Metadata(metadata),
            tags: Tags(items: [names.networkTag]),
            labels: [Provenance.releaseLabel: release])
        properties.scheduling = Scheduling(automaticRestart: true, onHostMaintenance: "MIGRATE")
        return InstanceTemplate(name: names.template(release: release, variant: variant(of: properties)),
                                description: "Release \(release) of \(configuration.app), made by sortie deploy",
                                properties: properties)
    }

    /// 8 hex digits naming a template's properties: FNV-1a (64 bit) of their JSON with sorted keys.
    /// Not a security digest: it only tells configurations apart.
    public static func variant(of properties: InstanceProperties) -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        let bytes = (try? encoder.encode(properties)) ?? Data()
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in bytes {
            hash ^= UInt64(byte)
            hash = hash &* 0x0000_0100_0000_01b3
        }
        let hex = String(hash, radix: 16)
        return String((String(repeating: "0", count: 16 - hex.count) + hex).prefix(8))
    }
}
