-- Initial copy of a new slot (issue 6).

-- Per slot: the copy that a newly created slot started with. The copy is one source transaction,
-- seq = consistent point - 1 (below every transaction the slot streams, above every earlier one of
-- this origin), delivered in fragments. Until the stream has acknowledged it (status 'done') a
-- restart drops the slot and copies again from a new snapshot: an exported snapshot dies with its
-- connection. The snapshot tells the applier which row versions the copy shipped: a row whose xmin
-- is visible in it (pg_visible_in_snapshot) and that has no stamp is the copy's version.
CREATE TABLE georep.initial_copy (
    slot_name       text        PRIMARY KEY,
    origin          text        NOT NULL,
    seq             bigint      NOT NULL CHECK (seq >= 1),
    consistent_lsn  bigint      NOT NULL,                 -- the slot's consistent point
    snapshot        pg_snapshot NOT NULL,                 -- the exported snapshot the copy read
    hlc_wall        bigint      NOT NULL,                 -- the copy transaction's HLC
    hlc_logical     integer     NOT NULL CHECK (hlc_logical >= 0),
    status          text        NOT NULL CHECK (status IN ('copying', 'done')),
    started_at      timestamptz NOT NULL DEFAULT now(),
    finished_at     timestamptz
);

-- Per slot and table: copy progress, for operators and progress bars.
CREATE TABLE georep.initial_copy_table (
    slot_name       text        NOT NULL REFERENCES georep.initial_copy ON DELETE CASCADE,
    table_schema    text        NOT NULL,
    table_name      text        NOT NULL,
    estimated_rows  bigint      NOT NULL,                 -- pg_class.reltuples at the start, -1 unknown
    rows_copied     bigint      NOT NULL DEFAULT 0,       -- rows read (before row filters)
    rows_shipped    bigint      NOT NULL DEFAULT 0,       -- rows handed on (after row filters)
    done            boolean     NOT NULL DEFAULT false,
    updated_at      timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (slot_name, table_schema, table_name)
);
