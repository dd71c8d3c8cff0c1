import Storage

/// The appliance's tables, as versioned migrations written once for every SQL dialect.
/// Append new migrations; never edit one that has shipped.
public enum Schema {
    public static let migrations: [Migration] = [identityAndCores, s3AccessKeys, runtime, journalKeySchemes, storageProbe, dropEventAnswer]

    /// `mod_scaicore_events.answer` was never read or written (an idempotent replay answers from
    /// the event's runs): gone.
    static let dropEventAnswer = Migration(version: 6, name: "drop events.answer") { _ in
        ["ALTER TABLE mod_scaicore_events DROP COLUMN answer"]
    }

    /// A table of one row that `/readyz` rewrites to learn whether a failing store takes writes again.
    static let storageProbe = Migration(version: 5, name: "storage probe") { d in
        ["CREATE TABLE appliance_storage_probe (id \(d.idType) NOT NULL PRIMARY KEY, written_at \(d.idType) NOT NULL, filler \(d.blobType))\(d.tableOptions)"]
    }

    /// Runs remember how they spell their journal keys: runs of earlier versions keep the
    /// unescaped keys they journaled (1), new runs escape step ids (2; docs/ir.md).
    static let journalKeySchemes = Migration(version: 4, name: "journal key schemes") { d in
        ["ALTER TABLE mod_scaicore_runs ADD COLUMN journal_keys \(d.integerType) NOT NULL DEFAULT 1"]
    }

    /// The runtime (docs/runtime.md): accepted events, runs and their journals, human checkpoints,
    /// notifications (an outbox the sender works through), users' e-mail.
    static let runtime = Migration(version: 3, name: "runtime") { d in
        [
            "ALTER TABLE appliance_users ADD COLUMN email \(d.shortTextType)",
            """
            CREATE TABLE mod_scaicore_events (
              id \(d.idType) NOT NULL PRIMARY KEY,
              tenant_id \(d.idType) NOT NULL,
              core_id \(d.idType) NOT NULL,
              event_name \(d.shortTextType) NOT NULL,
              data \(d.longTextType) NOT NULL,
              source \(d.idType) NOT NULL,
              source_run_id \(d.idType),
              sender \(d.idType),
              status \(d.idType) NOT NULL,
              run_ids \(d.longTextType) NOT NULL,
              idempotency_key \(d.shortTextType),
              request_hash \(d.idType),
              answer \(d.longTextType),
              created_at \(d.idType) NOT NULL,
              UNIQUE (tenant_id, core_id, idempotency_key))\(d.tableOptions)
            """,
            "CREATE INDEX mod_scaicore_events_by_core ON mod_scaicore_events (tenant_id, core_id, id)",
            """
            CREATE TABLE mod_scaicore_runs (
              id \(d.idType) NOT NULL PRIMARY KEY,
              tenant_id \(d.idType) NOT NULL,
              core_id \(d.idType) NOT NULL,
              flow \(d.shortTextType) NOT NULL,
              event_id \(d.idType),
              trigger_info \(d.longTextType) NOT NULL,
              input \(d.longTextType) NOT NULL,
              status \(d.idType) NOT NULL,
              entity_type \(d.shortTextType),
              entity_key \(d.shortTextType),
              started_by \(d.idType),
              output \(d.longTextType),
              error \(d.longTextType),
              checkpoint_id \(d.idType),
              resume_pending \(d.integerType) NOT NULL DEFAULT 0,
              wake_at \(d.idType),
              state \(d.blobType),
              created_at \(d.idType) NOT NULL,
              updated_at \(d.idType) NOT NULL,
              finished_at \(d.idType))\(d.tableOptions)
            """,
            "CREATE INDEX mod_scaicore_runs_by_core ON mod_scaicore_runs (tenant_id, core_id, id)",
            "CREATE INDEX mod_scaicore_runs_by_status ON mod_scaicore_runs (status, wake_at)",
            """
            CREATE TABLE mod_scaicore_run_journal (
              tenant_id \(d.idType) NOT NULL,
              run_id \(d.idType) NOT NULL,
              seq \(d.integerType) NOT NULL,
              step_key \(d.shortTextType) NOT NULL,
              result \(d.longTextType) NOT NULL,
              started_at \(d.idType) NOT NULL,
              recorded_at \(d.idType) NOT NULL,
              duration_ms \(d.integerType) NOT NULL,
              PRIMARY KEY (run_id, step_key))\(d.tableOptions)
            """,
            """
            CREATE TABLE mod_scaicore_checkpoints (
              id \(d.idType) NOT NULL PRIMARY KEY,
              tenant_id \(d.idType) NOT NULL,
              core_id \(d.idType) NOT NULL,
              run_id \(d.idType) NOT NULL,
              step \(d.shortTextType) NOT NULL,
              journal_key \(d.shortTextType) NOT NULL,
              kind \(d.idType) NOT NULL,
              title \(d.longTextType) NOT NULL,
              prompt \(d.longTextType),
              schema_json \(d.longTextType),
              assignee \(d.shortTextType) NOT NULL,
              escalate_to \(d.shortTextType),
              escalated \(d.integerType) NOT NULL DEFAULT 0,
              reminded \(d.integerType) NOT NULL DEFAULT 0,
              on_timeout \(d.idType) NOT NULL,
              timeout_seconds \(d.integerType),
              required_approvals \(d.integerType) NOT NULL,
              approvals \(d.longTextType) NOT NULL,
              run_started_by \(d.idType),
              status \(d.idType) NOT NULL,
              state_s3_key \(d.shortTextType) NOT NULL,
              expires_at \(d.idType),
              resolved_by \(d.longTextType),
              resolution \(d.longTextType),
              created_at \(d.idType) NOT NULL,
              updated_at \(d.idType) NOT NULL,
              resolved_at \(d.idType),
              version \(d.integerType) NOT NULL)\(d.tableOptions)
            """,
            "CREATE INDEX mod_scaicore_checkpoints_by_tenant ON mod_scaicore_checkpoints (tenant_id, created_at, id)",
            "CREATE INDEX mod_scaicore_checkpoints_by_expiry ON mod_scaicore_checkpoints (status, expires_at)",
            """
            CREATE TABLE mod_scaicore_notifications (
              id \(d.idType) NOT NULL PRIMARY KEY,
              tenant_id \(d.idType) NOT NULL,
              core_id \(d.idType) NOT NULL,
              checkpoint_id \(d.idType),
              kind \(d.shortTextType) NOT NULL,
              recipient \(d.shortTextType) NOT NULL,
              to_addresses \(d.longTextType) NOT NULL,
              subject \(d.longTextType) NOT NULL,
              body \(d.longTextType) NOT NULL,
              status \(d.idType) NOT NULL,
              attempts \(d.integerType) NOT NULL DEFAULT 0,
              next_attempt_at \(d.idType),
              last_error \(d.longTextType),
              created_at \(d.idType) NOT NULL,
              sent_at \(d.idType))\(d.tableOptions)
            """,
            "CREATE INDEX mod_scaicore_notifications_by_tenant ON mod_scaicore_notifications (tenant_id, id)",
            "CREATE INDEX mod_scaicore_notifications_pending ON mod_scaicore_notifications (status, next_attempt_at)",
        ]
    }

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
