-- Interleaved sequences (docs/consistency.md, georep sequences): every region's serial and identity
-- columns draw from their own residue class, increment = stride (at least the number of regions),
-- values congruent to the region's number modulo the stride, so that two regions never hand out
-- the same value.

-- The sequence-backed columns of the given tables, with what aligning them to a region would do,
-- and, when apply is true, does it (ALTER SEQUENCE ... INCREMENT BY stride RESTART WITH the first
-- value of the region's class above both the sequence's next value and the column's greatest
-- value, the table locked against writes meanwhile). Runs with the caller's rights: altering a
-- sequence needs its ownership. status: 'aligned', 'realigned', or what is wrong ('misaligned: …',
-- 'collides: …').
CREATE FUNCTION georep.align_sequences(tables regclass[], region_number integer, stride integer,
                                       apply boolean DEFAULT false)
RETURNS TABLE (table_name text, column_name text, sequence_name text, increment bigint,
               next_value bigint, greatest_value bigint, restart_with bigint, status text)
LANGUAGE plpgsql VOLATILE SET search_path = pg_catalog, pg_temp AS $$
DECLARE
  t regclass;
  col record;
  seq regclass;
  last bigint;
  residue bigint;
  ahead bigint;
BEGIN
  IF stride IS NULL OR stride < 1 THEN
    RAISE EXCEPTION 'georep.align_sequences: stride must be 1 or more, got %', stride
      USING ERRCODE = '22023';
  END IF;
  IF region_number IS NULL OR region_number < 1 OR region_number > stride THEN
    RAISE EXCEPTION 'georep.align_sequences: region number % is not between 1 and the stride %',
                    region_number, stride
      USING ERRCODE = '22023',
            HINT = 'the stride must be at least the number of regions (the highest region number)';
  END IF;
  residue := region_number % stride;
  FOREACH t IN ARRAY tables LOOP
    IF apply THEN
      EXECUTE format('LOCK TABLE %s IN SHARE ROW EXCLUSIVE MODE', t);
    END IF;
    FOR col IN
      SELECT a.attname FROM pg_attribute a
       WHERE a.attrelid = t AND a.attnum > 0 AND NOT a.attisdropped
       ORDER BY a.attnum
    LOOP
      seq := pg_get_serial_sequence(t::text, quote_ident(col.attname))::regclass;
      CONTINUE WHEN seq IS NULL;
      table_name := t::text;
      column_name := col.attname;
      sequence_name := seq::text;
      SELECT s.seqincrement INTO increment FROM pg_sequence s WHERE s.seqrelid = seq;
      EXECUTE format('SELECT CASE WHEN is_called THEN last_value + %s ELSE last_value END FROM %s',
                     increment, seq)
         INTO next_value;
      EXECUTE format('SELECT max(%I)::bigint FROM %s', col.attname, t) INTO greatest_value;
      EXECUTE format('SELECT min(%1$I)::bigint FROM %2$s WHERE %1$I >= $1 AND (%1$I - $1) %% $2 = 0',
                     col.attname, t)
         INTO ahead USING next_value, increment;
      restart_with := greatest(next_value, coalesce(greatest_value, 0) + 1);
      restart_with := restart_with + ((residue - restart_with % stride) % stride + stride) % stride;
      IF increment = stride AND ((next_value % stride) + stride) % stride = residue
          AND ahead IS NULL THEN
        status := 'aligned';
        restart_with := NULL;
      ELSIF increment < stride AND increment > 0 THEN
        status := format('misaligned: increment %s is below the stride %s, so values can collide'
                         ' with other regions', increment, stride);
      ELSIF ((next_value % stride) + stride) % stride <> residue THEN
        status := format('misaligned: the next value %s is %s modulo %s, the class of region %s,'
                         ' not of this region (%s)', next_value,
                         ((next_value % stride) + stride) % stride, stride,
                         CASE WHEN ((next_value % stride) + stride) % stride = 0 THEN stride
                              ELSE ((next_value % stride) + stride) % stride END,
                         region_number);
      ELSE
        status := format('collides: the table already holds %s = %s, a value this sequence will'
                         ' hand out', col.attname, ahead);
      END IF;
      IF apply AND status <> 'aligned' THEN
        EXECUTE format('ALTER SEQUENCE %s INCREMENT BY %s RESTART WITH %s', seq, stride,
                       restart_with);
        status := 'realigned (was ' || status || ')';
      END IF;
      RETURN NEXT;
    END LOOP;
  END LOOP;
END $$;
