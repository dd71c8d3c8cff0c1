/// The appliance's release version (semantic versioning); `scaicore-appliance --version` prints it.
public enum ApplianceVersion {
    public static let current = "0.1.0"
}
