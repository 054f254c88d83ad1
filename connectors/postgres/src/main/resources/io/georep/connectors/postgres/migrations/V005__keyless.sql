-- Tables without a key (REPLICA IDENTITY FULL, no primary key) replicate as multisets: per table and
-- distinct row value, the copies of that value (io.georep.resolver.RowMultiset, deterministic
-- bytes). row_key is the deterministic encoding of the whole row, as row_meta's key encoding.
CREATE TABLE georep.keyless_meta (
    table_schema  text        NOT NULL,
    table_name    text        NOT NULL,
    row_key       bytea       NOT NULL,
    state         bytea       NOT NULL,               -- RowMultiset.toBytes()
    live          integer     NOT NULL,               -- copies the table shows
    removed       integer     NOT NULL,               -- removed copies kept until causally stable
    updated_at    timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (table_schema, table_name, row_key)
);
CREATE INDEX keyless_meta_removed ON georep.keyless_meta (table_schema, table_name) WHERE removed > 0;
