-- Stream positions of the apply progress (issue 8).

-- The stream offset (Kafka offset in the origin's topic) of the batch that carried the watermark
-- transaction, committed with the rows it covers. A restarted agent seeks its consumer there (not
-- to Kafka's committed offsets): everything after the watermark is in that batch or later, and
-- what was already applied is skipped by (origin, seq). NULL: unknown, read from the beginning.
ALTER TABLE georep.apply_progress ADD COLUMN watermark_offset bigint CHECK (watermark_offset >= 0);
