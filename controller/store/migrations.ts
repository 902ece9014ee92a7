// Schema migrations: append-only, ordered by a timestamp id, each applied once in its own
// transaction and recorded in schema_migrations. Never edit a shipped entry; add a new one.

export interface Migration {
  /** yyyymmddNNNN; strictly increasing through the list. */
  readonly id: number;
  readonly name: string;
  readonly sql: string;
}

export const MIGRATIONS: readonly Migration[] = [
  {
    id: 202611250001,
    name: 'network, nodes and changes',
    // Addresses are unsigned 32-bit INTEGERs; every subnet has the network's one length, so
    // UNIQUE(subnet_base) alone rules out two nodes on one subnet. Times are unix milliseconds.
    sql: `
      CREATE TABLE network (
        id INTEGER PRIMARY KEY CHECK (id = 1),
        cidr_base INTEGER NOT NULL CHECK (cidr_base BETWEEN 0 AND 4294967295),
        cidr_len INTEGER NOT NULL CHECK (cidr_len BETWEEN 0 AND 32),
        subnet_len INTEGER NOT NULL CHECK (subnet_len > cidr_len AND subnet_len <= 30),
        subnet_min_base INTEGER NOT NULL CHECK (subnet_min_base BETWEEN 0 AND 4294967295),
        subnet_max_base INTEGER NOT NULL CHECK (subnet_max_base BETWEEN subnet_min_base AND 4294967295),
        udp_port INTEGER NOT NULL CHECK (udp_port BETWEEN 1 AND 65535),
        created_at INTEGER NOT NULL
      ) STRICT;

      CREATE TABLE nodes (
        id INTEGER PRIMARY KEY,
        name TEXT NOT NULL UNIQUE CHECK (length(name) BETWEEN 1 AND 63),
        underlay_ip INTEGER NOT NULL UNIQUE CHECK (underlay_ip BETWEEN 0 AND 4294967295),
        subnet_base INTEGER NOT NULL UNIQUE CHECK (subnet_base BETWEEN 0 AND 4294967295),
        subnet_len INTEGER NOT NULL CHECK (subnet_len BETWEEN 1 AND 32 AND subnet_base % (1 << (32 - subnet_len)) = 0),
        created_at INTEGER NOT NULL,
        updated_at INTEGER NOT NULL,
        last_registered_at INTEGER,
        agent_version TEXT NOT NULL DEFAULT ''
      ) STRICT;

      -- AUTOINCREMENT: sqlite_sequence keeps the highest revision, so none is reused after compaction or a restart.
      CREATE TABLE changes (
        revision INTEGER PRIMARY KEY AUTOINCREMENT,
        op TEXT NOT NULL CHECK (op IN ('add', 'remove')),
        node_name TEXT NOT NULL,
        subnet_base INTEGER NOT NULL CHECK (subnet_base BETWEEN 0 AND 4294967295),
        subnet_len INTEGER NOT NULL CHECK (subnet_len BETWEEN 1 AND 32),
        underlay_ip INTEGER NOT NULL CHECK (underlay_ip BETWEEN 0 AND 4294967295),
        at INTEGER NOT NULL
      ) STRICT;
    `,
  },
  {
    id: 202611250002,
    name: 'join tokens, node certificates, API keys and the audit log',
    // Secrets are stored only as sha256 hex. Certificates outlive their node's row, so that a
    // removed node's certificate stays on record as revoked. Serial numbers are upper-case hex.
    sql: `
      CREATE TABLE join_tokens (
        id TEXT PRIMARY KEY CHECK (length(id) = 16),
        node_name TEXT NOT NULL REFERENCES nodes(name) ON DELETE CASCADE,
        secret_hash TEXT NOT NULL CHECK (length(secret_hash) = 64),
        created_at INTEGER NOT NULL,
        expires_at INTEGER NOT NULL,
        used_at INTEGER,
        created_by TEXT NOT NULL
      ) STRICT;
      CREATE INDEX join_tokens_by_node ON join_tokens(node_name);

      CREATE TABLE node_certificates (
        serial TEXT PRIMARY KEY,
        node_name TEXT NOT NULL,
        issued_at INTEGER NOT NULL,
        expires_at INTEGER NOT NULL,
        revoked_at INTEGER,
        revoke_reason TEXT NOT NULL DEFAULT ''
      ) STRICT;
      CREATE INDEX node_certificates_by_node ON node_certificates(node_name);

      CREATE TABLE api_keys (
        id TEXT PRIMARY KEY CHECK (length(id) = 16),
        secret_hash TEXT NOT NULL CHECK (length(secret_hash) = 64),
        scope TEXT NOT NULL CHECK (scope IN ('read', 'admin')),
        description TEXT NOT NULL DEFAULT '',
        created_at INTEGER NOT NULL,
        expires_at INTEGER,
        revoked_at INTEGER,
        created_by TEXT NOT NULL
      ) STRICT;

      CREATE TABLE audit_events (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        at INTEGER NOT NULL,
        actor TEXT NOT NULL,
        action TEXT NOT NULL,
        target TEXT NOT NULL,
        outcome TEXT NOT NULL CHECK (outcome IN ('ok', 'denied')),
        detail TEXT NOT NULL DEFAULT '',
        peer TEXT NOT NULL DEFAULT ''
      ) STRICT;
      CREATE INDEX audit_events_by_time ON audit_events(at);
    `,
  },
  {
    id: 202611250003,
    name: 'agent sync status, cluster id, reservations and subnet quarantine',
    // last_seen_at / applied_revision / apply_error are flushed from the controller's memory in
    // batches (acks are too frequent for a write each). The cluster id tells a resuming agent
    // whether its revision came from this database. A reserved or quarantined subnet is held
    // back from the allocator; the store keeps the three sets (nodes, reservations, quarantine)
    // consistent, and UNIQUE keeps each set free of duplicates.
    sql: `
      ALTER TABLE nodes ADD COLUMN last_seen_at INTEGER;
      ALTER TABLE nodes ADD COLUMN applied_revision INTEGER NOT NULL DEFAULT 0 CHECK (applied_revision >= 0);
      ALTER TABLE nodes ADD COLUMN apply_error TEXT NOT NULL DEFAULT '';

      CREATE TABLE cluster (
        id INTEGER PRIMARY KEY CHECK (id = 1),
        cluster_id TEXT NOT NULL CHECK (length(cluster_id) = 32)
      ) STRICT;
      INSERT INTO cluster (id, cluster_id) VALUES (1, lower(hex(randomblob(16))));

      CREATE TABLE reservations (
        node_name TEXT PRIMARY KEY CHECK (length(node_name) BETWEEN 1 AND 63),
        subnet_base INTEGER NOT NULL UNIQUE CHECK (subnet_base BETWEEN 0 AND 4294967295),
        subnet_len INTEGER NOT NULL CHECK (subnet_len BETWEEN 1 AND 32 AND subnet_base % (1 << (32 - subnet_len)) = 0),
        created_at INTEGER NOT NULL,
        created_by TEXT NOT NULL
      ) STRICT;

      CREATE TABLE subnet_quarantine (
        subnet_base INTEGER PRIMARY KEY CHECK (subnet_base BETWEEN 0 AND 4294967295),
        subnet_len INTEGER NOT NULL CHECK (subnet_len BETWEEN 1 AND 32),
        previous_node TEXT NOT NULL,
        released_at INTEGER NOT NULL,
        available_at INTEGER NOT NULL
      ) STRICT;
    `,
  },
  {
    id: 202611260001,
    name: 'address usage reported by agents',
    // The last ReportAddressUsage per node: how many container addresses are leased and how many
    // the subnet offers. address_capacity 0 with a NULL time is "never reported" (a report's
    // capacity is at least 1), so existing rows start as never reported.
    sql: `
      ALTER TABLE nodes ADD COLUMN address_capacity INTEGER NOT NULL DEFAULT 0 CHECK (address_capacity BETWEEN 0 AND 4294967295);
      ALTER TABLE nodes ADD COLUMN addresses_leased INTEGER NOT NULL DEFAULT 0 CHECK (addresses_leased BETWEEN 0 AND address_capacity);
      ALTER TABLE nodes ADD COLUMN address_usage_reported_at INTEGER CHECK ((address_usage_reported_at IS NULL) = (address_capacity = 0));
    `,
  },
];
