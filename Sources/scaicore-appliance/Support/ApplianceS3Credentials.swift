import Appliance
import S3Server

/// The S3 listener's key lookup, over the appliance's key table (``S3KeyService``).
struct ApplianceS3Credentials: S3CredentialStore {
    let keys: S3KeyService

    func credential(accessKeyID: String) async throws -> S3Credential? {
        guard let found = try await keys.credential(accessKeyID: accessKeyID) else { return nil }
        return S3Credential(accessKeyID: accessKeyID, secret: found.secret, tenant: found.tenantID)
    }
}
