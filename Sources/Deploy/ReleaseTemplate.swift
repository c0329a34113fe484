import DeployConfig
import GCEModel

/// The instance template of one release: immutable, named after the release, booting exactly its
/// image. Pure.
public enum ReleaseTemplate {
    public static func make(configuration: DeployConfiguration, target: Target, release: String,
                            metadata: [String: String]) -> InstanceTemplate {
        let names = ResourceNames(app: configuration.app)
        var properties = InstanceProperties(
            machineType: target.machineType.value,
            disks: [AttachedDisk(bootFrom: "global/images/\(names.image(release: release))")],
            networkInterfaces: [NetworkInterface(network: "global/networks/\(target.network.value)", accessConfigs: [])],
            metadata: metadata.isEmpty ? nil : Metadata(metadata),
            tags: Tags(items: [names.networkTag]),
            labels: [Provenance.releaseLabel: release])
        properties.scheduling = Scheduling(automaticRestart: true, onHostMaintenance: "MIGRATE")
        return InstanceTemplate(name: names.template(release: release),
                                description: "Release \(release) of \(configuration.app), made by sortie deploy",
                                properties: properties)
    }
}
