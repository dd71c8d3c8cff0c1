import Storage

/// The appliance's tables, as versioned migrations written once for every SQL dialect.
/// Append new migrations; never edit one that has shipped.
public enum Schema {
    public static let migrations: [Migration] = [identityAndCores, s3AccessKeys]

    /// S3 access keys of the object-store listener. The secret must be recoverable (SigV4
    /// verification needs it), so it is stored sealed with the data directory's master key
    /// (AES-GCM, see ``SecretSealer``), never in plain text.
    static let s3AccessKeys = Migration(version: 2, name: "s3 access keys") { d in
        [
            """
            CREATE TABLE appliance_s3_keys (
              access_key_id \(d.idType) NOT NULL PRIMARY KEY,
              tenant_id \(d.idType) NOT NULL REFERENCES appliance_tenants(id),
              name \(d.shortTextType) NOT NULL,
              secret_sealed \(d.shortTextType) NOT NULL,
              created_at \(d.idType) NOT NULL,
              revoked_at \(d.idType))\(d.tableOptions)
            """,
            "CREATE INDEX appliance_s3_keys_tenant ON appliance_s3_keys (tenant_id)",
        ]
    }

    /// Tenants, users, API tokens, Cores with their IR history, and the audit log.
    static let identityAndCores = Migration(version: 1, name: "identity and cores") { d in
        [
            """
            CREATE TABLE appliance_tenants (
              id \(d.idType) NOT NULL PRIMARY KEY,
              slug \(d.shortTextType) NOT NULL UNIQUE,
              name \(d.shortTextType) NOT NULL,
              created_at \(d.idType) NOT NULL)\(d.tableOptions)
            """,
            """
            CREATE TABLE appliance_users (
              id \(d.idType) NOT NULL PRIMARY KEY,
              tenant_id \(d.idType) NOT NULL REFERENCES appliance_tenants(id),
              name \(d.shortTextType) NOT NULL,
              created_at \(d.idType) NOT NULL,
              UNIQUE (tenant_id, name))\(d.tableOptions)
            """,
            """
            CREATE TABLE appliance_api_tokens (
              id \(d.idType) NOT NULL PRIMARY KEY,
              tenant_id \(d.idType) NOT NULL REFERENCES appliance_tenants(id),
              user_id \(d.idType) NOT NULL REFERENCES appliance_users(id),
              role \(d.idType) NOT NULL,
              name \(d.shortTextType) NOT NULL,
              token_hash \(d.idType) NOT NULL UNIQUE,
              created_at \(d.idType) NOT NULL,
              expires_at \(d.idType),
              revoked_at \(d.idType))\(d.tableOptions)
            """,
            """
            CREATE TABLE mod_scaicore_cores (
              id \(d.idType) NOT NULL PRIMARY KEY,
              tenant_id \(d.idType) NOT NULL REFERENCES appliance_tenants(id),
              slug \(d.shortTextType) NOT NULL,
              name \(d.shortTextType) NOT NULL,
              ir_source \(d.longTextType) NOT NULL,
              ir_version \(d.idType),
              ir_revision \(d.integerType) NOT NULL,
              runtime_config \(d.longTextType) NOT NULL,
              identity_mode \(d.idType) NOT NULL,
              plugins \(d.longTextType) NOT NULL,
              environment_encrypted \(d.blobType),
              environment_dek_wrapped \(d.blobType),
              environment_iv \(d.blobType),
              kek_id \(d.idType),
              avatar_url \(d.shortTextType),
              status \(d.idType) NOT NULL,
              status_reason \(d.longTextType),
              created_at \(d.idType) NOT NULL,
              updated_at \(d.idType) NOT NULL,
              version \(d.integerType) NOT NULL,
              UNIQUE (tenant_id, slug))\(d.tableOptions)
            """,
            "CREATE INDEX mod_scaicore_cores_by_status ON mod_scaicore_cores (tenant_id, status, id)",
            """
            CREATE TABLE mod_scaicore_core_versions (
              id \(d.idType) NOT NULL PRIMARY KEY,
              tenant_id \(d.idType) NOT NULL,
              core_id \(d.idType) NOT NULL REFERENCES mod_scaicore_cores(id) ON DELETE CASCADE,
              revision \(d.integerType) NOT NULL,
              ir_source \(d.longTextType) NOT NULL,
              ir_version \(d.idType),
              created_by \(d.idType) NOT NULL,
              created_at \(d.idType) NOT NULL,
              UNIQUE (core_id, revision))\(d.tableOptions)
            """,
            """
            CREATE TABLE mod_scaicore_audit_log (
              id \(d.idType) NOT NULL PRIMARY KEY,
              tenant_id \(d.idType) NOT NULL,
              actor \(d.idType) NOT NULL,
              action \(d.shortTextType) NOT NULL,
              target_type \(d.idType) NOT NULL,
              target_id \(d.idType) NOT NULL,
              details \(d.longTextType) NOT NULL,
              request_id \(d.shortTextType),
              created_at \(d.idType) NOT NULL)\(d.tableOptions)
            """,
            "CREATE INDEX mod_scaicore_audit_by_target ON mod_scaicore_audit_log (tenant_id, target_id, id)",
        ]
    }
}
