-- Truncate (issue 14): a TRUNCATE of a replicated table replicates as the deletes of the rows it
-- removes, so every region removes the rows the truncating region had seen and keeps rows written
-- concurrently elsewhere. The capture puts a BEFORE TRUNCATE statement trigger, georep_truncate,
-- on every published table (enabled ALWAYS). Its function deletes the table's rows first (the
-- tables that reference it by a foreign key before it: they are in the same TRUNCATE, or it would
-- have failed) and writes a transactional logical message, prefix georep.truncate, content the
-- table's oid, that tells the capture the TRUNCATE that follows was expanded. With the argument
-- 'refuse' (the table's publications leave truncate out) it raises an error instead: a truncate
-- that stayed in one region would leave the regions different for good.

CREATE FUNCTION georep.delete_rows_of(rel regclass, visited oid[]) RETURNS void
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
  child oid;
BEGIN
  FOR child IN
    SELECT DISTINCT c.conrelid FROM pg_catalog.pg_constraint c
    WHERE c.contype = 'f' AND c.confrelid = rel AND c.conrelid <> rel
      AND NOT (c.conrelid = ANY (visited))
  LOOP
    PERFORM georep.delete_rows_of(child::regclass, visited || rel::oid);
  END LOOP;
  EXECUTE format('DELETE FROM %s', rel);
END $$;

CREATE FUNCTION georep.truncate_as_deletes() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
BEGIN
  IF TG_ARGV[0] = 'refuse' THEN
    RAISE EXCEPTION 'TRUNCATE of %.% is not replicated: its georep publications leave truncate out of their operations',
        quote_ident(TG_TABLE_SCHEMA), quote_ident(TG_TABLE_NAME)
      USING ERRCODE = 'feature_not_supported',
            HINT = 'Use DELETE, which replicates; or add delete and truncate to the publication''s'
                || ' operations and restart the agent; or drop the trigger georep_truncate on the'
                || ' table to truncate it in this region only (the regions then differ).';
  END IF;
  PERFORM pg_catalog.pg_logical_emit_message(true, 'georep.truncate', TG_RELID::text);
  PERFORM georep.delete_rows_of(TG_RELID::regclass, ARRAY[]::oid[]);
  RETURN NULL;
END $$;
