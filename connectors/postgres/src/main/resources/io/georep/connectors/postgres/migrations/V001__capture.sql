-- Capture metadata (issue 6).

-- xid -> (origin, seq, hlc, causal context): written by the capture for local transactions before
-- they are handed on, and by the applier for apply transactions. Conflict detection reads xmin of
-- a locked row and looks its version's dot up here. A database transaction may carry several dots
-- (an applier may coalesce source transactions), so the key is the dot, not the xid.
CREATE TABLE georep.xid_stamp (
    origin          text        NOT NULL,
    seq             bigint      NOT NULL CHECK (seq >= 1),
    xid             bigint      NOT NULL,                 -- full 64-bit xid (xid8)
    xid32           bigint      NOT NULL,                 -- low 32 bits, as xmin shows them
    hlc_wall        bigint      NOT NULL,                 -- HLC wall time, ms since the epoch
    hlc_logical     integer     NOT NULL CHECK (hlc_logical >= 0),
    causal_context  bytea       NOT NULL,                 -- VersionVector.toBytes()
    created_at      timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (origin, seq)
);
CREATE INDEX xid_stamp_xid32 ON georep.xid_stamp (xid32);
CREATE INDEX xid_stamp_xid ON georep.xid_stamp (xid);

-- Per slot: the position the capture has confirmed to the server, and the applied vector (the
-- causal context source) as of that position, so a restart rebuilds the context exactly.
CREATE TABLE georep.capture_state (
    slot_name         text        PRIMARY KEY,
    origin            text        NOT NULL,
    confirmed_lsn     bigint      NOT NULL,
    applied_vector    bytea       NOT NULL,               -- VersionVector.toBytes()
    acknowledged_seq  bigint      NOT NULL,
    updated_at        timestamptz NOT NULL DEFAULT now()
);
