-- Apply metadata (issue 7): progress, per-row replication state, conflict log.

-- Per origin: the applied watermark (every transaction of the origin with seq <= watermark is
-- applied here) and the applied seqs above it (sorted unsigned varints; bounded, see
-- docs/apply.md). Updated in the same transaction as the rows it covers.
CREATE TABLE georep.apply_progress (
    origin      text        PRIMARY KEY,
    watermark   bigint      NOT NULL DEFAULT 0 CHECK (watermark >= 0),
    above       bytea       NOT NULL DEFAULT ''::bytea,
    updated_at  timestamptz NOT NULL DEFAULT now()
);

-- Per replicated row: its merge state (io.georep.resolver.RowState, deterministic bytes) and what
-- the applier needs to recognise local writes made since it last synchronised the row.
CREATE TABLE georep.row_meta (
    table_schema  text        NOT NULL,
    table_name    text        NOT NULL,
    row_key       bytea       NOT NULL,               -- deterministic key encoding
    state         bytea       NOT NULL,               -- RowState.toBytes()
    row_exists    boolean     NOT NULL,               -- the state's visible row exists (false: tombstone)
    suppressed    boolean     NOT NULL DEFAULT false, -- exists but lost a unique-key clash: not in the table
    writer_xid32  bigint,                             -- xmin the table row had when last synchronised; NULL: no row
    writer_xid    bigint      NOT NULL,               -- txid_current() of the transaction that last wrote this meta
    sync_lsn      bigint      NOT NULL,               -- WAL position while the row was locked at that sync
    last_origin   text        NOT NULL,               -- the write with the greatest HLC merged into
    last_seq      bigint      NOT NULL,               -- the row: its dot and HLC (decides unique-key
    last_wall     bigint      NOT NULL,               -- clashes, the same in every region)
    last_logical  integer     NOT NULL,
    accumulates   boolean     NOT NULL,               -- the policy has counter/max/min/g-set columns,
                                                      -- whose totals a tombstone must keep (no GC)
    updated_at    timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (table_schema, table_name, row_key)
);
CREATE INDEX row_meta_tombstones ON georep.row_meta (table_schema, table_name) WHERE NOT row_exists;

-- Every conflict detected in this region, with both versions (values, dot, HLC, origin, kind).
CREATE TABLE georep.conflict_log (
    id            bigserial   PRIMARY KEY,
    detected_at   timestamptz NOT NULL DEFAULT now(),
    conflict_id   text        NOT NULL,                -- Conflict.id(): the pair of dots, orientation-free
    type          text        NOT NULL,                -- ConflictType.tag()
    table_schema  text        NOT NULL,
    table_name    text        NOT NULL,
    row_key       jsonb       NOT NULL,
    resolver      text        NOT NULL,
    winner        text        NOT NULL,                -- local | remote | merged
    columns       text[]      NOT NULL,
    local         jsonb       NOT NULL,
    remote        jsonb       NOT NULL,
    kept_loser    jsonb
);
CREATE INDEX conflict_log_table ON georep.conflict_log (table_schema, table_name, detected_at);
