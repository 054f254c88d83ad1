-- The horizon of a local transaction: the highest seq per origin applied before it committed,
-- above the applied watermark where per-table workers applied out of order. NULL: equal to the
-- causal context (or, in capture_state, to the applied vector).
ALTER TABLE georep.xid_stamp ADD COLUMN horizon bytea;
ALTER TABLE georep.capture_state ADD COLUMN applied_high bytea;
