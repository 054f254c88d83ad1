-- Chunked, resumable initial copy (issue 14).

-- The copy reads each table in chunks by primary-key range. A chunk is one transaction on this
-- database: it takes the table in SHARE mode (so every writer of the table committed before it and
-- none commits inside it), reads the next rows in key order, writes them into a transactional
-- logical message (prefix georep.copy) and records its progress below. The rows travel in the WAL,
-- so a committed chunk is never read again: the capture decodes it from the slot, also after a
-- crash. read_*: the last chunk committed (where a restarted reader continues); placed_*: the last
-- chunk the capture handed on and had acknowledged (saved with capture_state), which decides which
-- live changes the capture ships (rows of a later chunk are not shipped: that chunk contains them).
ALTER TABLE georep.initial_copy_table
    ADD COLUMN chunked       boolean NOT NULL DEFAULT true,  -- false: read in one chunk (no orderable key)
    ADD COLUMN read_chunk    bigint  NOT NULL DEFAULT 0,
    ADD COLUMN read_key      text[],                         -- key of the last row read, text form
    ADD COLUMN placed_chunk  bigint  NOT NULL DEFAULT 0,
    ADD COLUMN placed_key    text[],
    ADD COLUMN placed_done   boolean NOT NULL DEFAULT false;

-- One row per committed chunk, written in the chunk's transaction: what was read, for operators
-- and for checking that a resumed copy read no committed range again.
CREATE TABLE georep.initial_copy_chunk (
    slot_name       text        NOT NULL,
    table_schema    text        NOT NULL,
    table_name      text        NOT NULL,
    chunk_no        bigint      NOT NULL CHECK (chunk_no >= 1),
    rows            bigint      NOT NULL,
    first_key       text,                                 -- ROW(key)::text of the first row
    last_key        text,                                 -- ROW(key)::text of the last row
    created_at      timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (slot_name, table_schema, table_name, chunk_no),
    FOREIGN KEY (slot_name, table_schema, table_name)
        REFERENCES georep.initial_copy_table ON DELETE CASCADE
);

-- A chunk's stamp: the fold treats the rows it carries as the copied versions.
ALTER TABLE georep.xid_stamp ADD COLUMN copy_chunk boolean NOT NULL DEFAULT false;
