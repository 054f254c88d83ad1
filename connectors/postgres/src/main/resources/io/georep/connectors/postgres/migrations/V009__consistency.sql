-- Consistency controls (docs/consistency.md): what every region has applied, session tokens, and
-- waits for a token. The functions run as their owner (the agent's user), so an application needs
-- only USAGE on the schema; each pins its search_path.

-- Per region of the topology (this one included), as its latest heartbeat said: for each other
-- origin, the watermark it has applied there (every transaction of the origin with seq <= applied
-- is applied); the row (region, region) holds the last seq of the region's own stream that Kafka
-- acknowledged. Rewritten by the agent at every heartbeat interval. This region's rows also hold
-- each origin's lag here and the lag bound (control.max.lag), for wait_for's fail_fast.
CREATE TABLE georep.region_progress (
    region      text        NOT NULL,
    origin      text        NOT NULL,
    applied     bigint      NOT NULL,
    heard_at    timestamptz NOT NULL,
    local       boolean     NOT NULL,
    lag_ms      bigint,                  -- this region's rows: the origin's lag here
    max_lag_ms  bigint,                  -- this region's rows: control.max.lag (0: none)
    number      integer     NOT NULL,    -- the region's place in the agents' regions list, from 1
    PRIMARY KEY (region, origin)
);

-- The highest seq of each origin applied here, the above-set included (NULL: the watermark, for
-- rows last written before this column): what a local reader may have seen of that origin, which
-- a session token must name. Written with the watermark, in the same transaction.
ALTER TABLE georep.apply_progress ADD COLUMN high bigint;

-- This database's region: from the agent's heartbeat record, else from the capture's state.
CREATE FUNCTION georep.local_region() RETURNS text
LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
  me text;
BEGIN
  SELECT region INTO me FROM georep.region_progress WHERE local LIMIT 1;
  IF me IS NULL THEN
    SELECT origin INTO me FROM georep.capture_state ORDER BY updated_at DESC LIMIT 1;
  END IF;
  IF me IS NULL THEN
    RAISE EXCEPTION 'georep: no agent has run against this database yet, so its region is unknown'
      USING ERRCODE = '55000',
            HINT = 'start this region''s agent (georep run -c agent.yaml) and retry';
  END IF;
  RETURN me;
END $$;

-- A token: 'g1.' and the base64url (no padding) of "region:seq,region:seq" sorted by region, one
-- entry per region, seqs above zero. The same format as io.georep.client.SessionToken.
CREATE FUNCTION georep.token_of(regions text[], positions bigint[]) RETURNS text
LANGUAGE sql IMMUTABLE SET search_path = pg_catalog, pg_temp AS $$
  SELECT 'g1.' || rtrim(translate(encode(convert_to(coalesce(
           string_agg(m.region || ':' || m.seq, ',' ORDER BY m.region COLLATE "C"), ''),
           'UTF8'), 'base64'), E'+/\n', '-_'), '=')
    FROM (SELECT u.r AS region, max(u.p) AS seq
            FROM unnest(regions, positions) AS u(r, p)
           WHERE u.r IS NOT NULL AND u.p > 0
           GROUP BY u.r) m
$$;

-- The entries of a token; a malformed token is an error that says what was expected.
CREATE FUNCTION georep.token_entries(token text) RETURNS TABLE (region text, seq bigint)
LANGUAGE plpgsql IMMUTABLE SET search_path = pg_catalog, pg_temp AS $$
DECLARE
  body text;
  payload text;
  part text;
  sep int;
BEGIN
  IF token IS NULL THEN
    RAISE EXCEPTION 'georep: the session token is NULL'
      USING ERRCODE = '22004',
            HINT = 'pass the text georep.session_token() returned; an empty token is ''g1.''';
  END IF;
  IF left(token, 3) <> 'g1.' OR substr(token, 4) !~ '^[A-Za-z0-9_-]*$' THEN
    RAISE EXCEPTION 'georep: malformed session token "%": a token starts with g1. and goes on in'
                    ' base64url', left(token, 80)
      USING ERRCODE = '22023',
            HINT = 'pass the text georep.session_token() or georep.merge_tokens() returned, unchanged';
  END IF;
  body := translate(substr(token, 4), '-_', '+/');
  body := body || repeat('=', (4 - length(body) % 4) % 4);
  BEGIN
    payload := convert_from(decode(body, 'base64'), 'UTF8');
  EXCEPTION WHEN others THEN
    RAISE EXCEPTION 'georep: malformed session token "%": its base64url does not decode (%)',
                    left(token, 80), SQLERRM
      USING ERRCODE = '22023',
            HINT = 'pass the text georep.session_token() or georep.merge_tokens() returned, unchanged';
  END;
  IF payload = '' THEN
    RETURN;
  END IF;
  FOREACH part IN ARRAY string_to_array(payload, ',') LOOP
    sep := strpos(part, ':');
    IF sep < 2 OR left(part, sep - 1) !~ '^[A-Za-z0-9._-]{1,64}$'
        OR substr(part, sep + 1) !~ '^[1-9][0-9]{0,18}$' THEN
      RAISE EXCEPTION 'georep: malformed session token "%": entry "%" is not region:seq',
                      left(token, 80), left(part, 80)
        USING ERRCODE = '22023',
              HINT = 'pass the text georep.session_token() or georep.merge_tokens() returned, unchanged';
    END IF;
    region := left(part, sep - 1);
    seq := substr(part, sep + 1)::bigint;
    RETURN NEXT;
  END LOOP;
END $$;

-- The union of tokens: per region, the greater position (a version vector's join).
CREATE FUNCTION georep.merge_tokens(VARIADIC tokens text[]) RETURNS text
LANGUAGE sql IMMUTABLE SET search_path = pg_catalog, pg_temp AS $$
  SELECT georep.token_of(array_agg(e.region), array_agg(e.seq))
    FROM unnest(tokens) AS t(token), LATERAL georep.token_entries(t.token) e
$$;

-- A WAL position (a seq) as PostgreSQL shows an LSN.
CREATE FUNCTION georep.lsn_text(seq bigint) RETURNS text
LANGUAGE sql IMMUTABLE SET search_path = pg_catalog, pg_temp AS $$
  SELECT format('%s/%s', upper(to_hex(seq >> 32)), upper(to_hex(seq & 4294967295)))
$$;

-- The token of what this session has committed here and could have seen: this region's WAL
-- position now, and the highest seq this region has applied of every other origin (its watermark,
-- or above it where per-table workers applied out of order). It writes a
-- causal tick (a transaction without changes) so that a transaction of this region follows the
-- position in its stream even when nothing else is written here.
CREATE FUNCTION georep.session_token() RETURNS text
LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
  me text := georep.local_region();
  here bigint;
  token text;
BEGIN
  IF txid_current_if_assigned() IS NOT NULL THEN
    RAISE EXCEPTION 'georep.session_token() was called in a transaction that has written: a token'
                    ' names committed transactions'
      USING ERRCODE = '25000',
            HINT = 'COMMIT first, then call georep.session_token() (in auto-commit mode or a'
                   ' transaction of its own)';
  END IF;
  PERFORM pg_logical_emit_message(true, 'georep.tick', '');
  here := (pg_current_wal_insert_lsn() - '0/0'::pg_lsn)::bigint;
  SELECT georep.token_of(array_append(array_agg(p.origin), me),
                         array_append(array_agg(greatest(p.watermark, p.high)), here))
    INTO token
    FROM georep.apply_progress p
   WHERE p.origin <> me;
  RETURN token;
END $$;

-- How long ago a region was last heard of here, as text ('never' if it was not).
CREATE FUNCTION georep.last_heard(r text) RETURNS text
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
  SELECT coalesce(
           'last heard ' || to_char(extract(epoch FROM clock_timestamp() - max(heard_at)),
                                    'FM999999990.0') || ' s ago',
           'never heard of here')
    FROM georep.region_progress WHERE region = r
$$;

-- Returns once this region has applied everything the token names (the row changes the session
-- made or saw in other regions are visible to the caller's next statement), or fails with
-- SQLSTATE GR001 at the timeout, naming the origin and how far behind this region is. With
-- fail_fast, it fails at once with GR002 when an origin the token needs is lagging here beyond
-- control.max.lag (or the agent has not reported for that long), rather than waiting.
CREATE FUNCTION georep.wait_for(token text, timeout interval DEFAULT interval '10 seconds',
                                fail_fast boolean DEFAULT false)
RETURNS void
LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
  me text := georep.local_region();
  started timestamptz := clock_timestamp();
  pause float8 := 0.002;
  behind record;
  over record;
  shipped bigint;
BEGIN
  IF timeout IS NULL OR timeout < interval '0' THEN
    RAISE EXCEPTION 'georep.wait_for: timeout must be zero or more, got %', timeout
      USING ERRCODE = '22023';
  END IF;
  IF current_setting('transaction_isolation') <> 'read committed' THEN
    RAISE EXCEPTION 'georep.wait_for needs READ COMMITTED; this transaction is %',
                    upper(current_setting('transaction_isolation'))
      USING ERRCODE = '25000',
            HINT = 'call it before BEGIN ISOLATION LEVEL ...: a snapshot taken before the wait'
                   ' would not show what it waited for';
  END IF;
  LOOP
    SELECT t.region, t.seq, coalesce(p.watermark, 0) AS applied INTO behind
      FROM georep.token_entries(token) t
      LEFT JOIN georep.apply_progress p ON p.origin = t.region
     WHERE t.region <> me AND coalesce(p.watermark, 0) < t.seq
     ORDER BY t.region COLLATE "C"
     LIMIT 1;
    IF NOT FOUND THEN
      RETURN;
    END IF;
    IF fail_fast THEN
      SELECT p.lag_ms, p.max_lag_ms,
             (extract(epoch FROM clock_timestamp() - p.heard_at) * 1000)::bigint AS silent_ms
        INTO over
        FROM georep.region_progress p
       WHERE p.region = me AND p.origin = behind.region AND p.local AND p.max_lag_ms > 0
         AND (p.lag_ms > p.max_lag_ms
              OR clock_timestamp() - p.heard_at > p.max_lag_ms * interval '1 millisecond');
      IF FOUND THEN
        RAISE EXCEPTION 'georep.wait_for failed fast in region %: % lags here by % s, over'
                        ' control.max.lag (% s)%', me, behind.region,
                        to_char(over.lag_ms / 1000.0, 'FM999999990.0'),
                        to_char(over.max_lag_ms / 1000.0, 'FM999999990.0'),
                        CASE WHEN over.silent_ms > over.max_lag_ms
                             THEN format(' (this region''s agent last reported %s s ago)',
                                         to_char(over.silent_ms / 1000.0, 'FM999999990.0'))
                             ELSE '' END
          USING ERRCODE = 'GR002',
                HINT = 'serve the session from ' || behind.region
                       || ', or wait without fail_fast; georep status shows the lag and its cause';
      END IF;
    END IF;
    IF clock_timestamp() - started >= timeout THEN
      SELECT applied INTO shipped FROM georep.region_progress
       WHERE region = behind.region AND origin = behind.region;
      RAISE EXCEPTION 'georep.wait_for timed out after % in region %: it has applied % up to %,'
                      ' the token needs %, % bytes of %''s WAL behind (%; % has shipped up to %)',
                      timeout, me, behind.region, georep.lsn_text(behind.applied),
                      georep.lsn_text(behind.seq), behind.seq - behind.applied,
                      behind.region, georep.last_heard(behind.region), behind.region,
                      coalesce(georep.lsn_text(shipped), 'an unknown position')
        USING ERRCODE = 'GR001',
              HINT = 'retry later, or serve the session from ' || behind.region
                     || '; georep status shows each origin''s lag and halts';
    END IF;
    PERFORM pg_sleep(pause);
    pause := least(pause * 2, 0.05);
  END LOOP;
END $$;

-- The first entry of a token that a region has not applied, as its latest heartbeat said.
CREATE FUNCTION georep.token_gap(token text, r text)
RETURNS TABLE (origin text, needed bigint, applied bigint)
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
  SELECT t.region, t.seq, coalesce(p.applied, 0)
    FROM georep.token_entries(token) t
    LEFT JOIN georep.region_progress p ON p.region = r AND p.origin = t.region
   WHERE t.region <> r AND coalesce(p.applied, 0) < t.seq
   ORDER BY t.region COLLATE "C"
   LIMIT 1
$$;

-- Returns once at least `needed` of the candidate regions have applied everything the token
-- names, as their heartbeats say (at most control.heartbeat.interval old), or fails with GR001 at
-- the timeout, naming each candidate that has not, how far behind it is and when it was last
-- heard of. What both wait_replicated forms run once their arguments are checked.
CREATE FUNCTION georep.wait_replicated_among(token text, candidates text[], needed integer,
                                             timeout interval)
RETURNS void
LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
  me text := georep.local_region();
  started timestamptz := clock_timestamp();
  pause float8 := 0.01;
  done integer;
  lagging text;
  gap record;
BEGIN
  IF timeout IS NULL OR timeout < interval '0' THEN
    RAISE EXCEPTION 'georep.wait_replicated: timeout must be zero or more, got %', timeout
      USING ERRCODE = '22023';
  END IF;
  IF txid_current_if_assigned() IS NOT NULL THEN
    RAISE EXCEPTION 'georep.wait_replicated was called in a transaction that has written: what it'
                    ' waits for replicates only once this transaction commits'
      USING ERRCODE = '25000',
            HINT = 'commit first, and take the token with georep.session_token() in a statement of'
                   ' its own (auto-commit), not in the same statement as the wait';
  END IF;
  PERFORM count(*) FROM georep.token_entries(token);
  LOOP
    SELECT count(*) INTO done
      FROM unnest(candidates) r
     WHERE NOT EXISTS (SELECT 1 FROM georep.token_gap(token, r));
    IF done >= needed THEN
      RETURN;
    END IF;
    IF clock_timestamp() - started >= timeout THEN
      lagging := NULL;
      FOR gap IN
        SELECT r, g.origin, g.needed, g.applied
          FROM unnest(candidates) r, LATERAL georep.token_gap(token, r) g
      LOOP
        lagging := coalesce(lagging || '; ', '')
                   || format('%s has applied %s up to %s, the token needs %s (%s)', gap.r,
                             gap.origin, georep.lsn_text(gap.applied), georep.lsn_text(gap.needed),
                             georep.last_heard(gap.r));
      END LOOP;
      RAISE EXCEPTION 'georep.wait_replicated timed out after % in region %: % of the % regions'
                      ' needed have applied the token; %', timeout, me, done, needed, lagging
        USING ERRCODE = 'GR001',
              HINT = 'a region heard of long ago is down or cut off; georep status shows each'
                     || ' region''s health';
    END IF;
    PERFORM pg_sleep(pause);
    pause := least(pause * 2, 0.1);
  END LOOP;
END $$;
REVOKE EXECUTE ON FUNCTION georep.wait_replicated_among(text, text[], integer, interval) FROM PUBLIC;

-- The other regions heard of here (from their heartbeats), in name order.
CREATE FUNCTION georep.other_regions() RETURNS text[]
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
  SELECT coalesce(array_agg(DISTINCT region ORDER BY region), '{}')
    FROM georep.region_progress WHERE region <> georep.local_region()
$$;

-- Returns once the named regions have all applied everything the token names.
CREATE FUNCTION georep.wait_replicated(token text, regions text[],
                                       timeout interval DEFAULT interval '10 seconds')
RETURNS void
LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
  known text[] := georep.other_regions();
  unknown text;
BEGIN
  IF regions IS NULL OR cardinality(regions) = 0 THEN
    RAISE EXCEPTION 'georep.wait_replicated: name at least one region'
      USING ERRCODE = '22023', HINT = 'regions heard of here: ' || array_to_string(known, ', ');
  END IF;
  SELECT r INTO unknown FROM unnest(regions) r WHERE r IS NULL OR NOT r = ANY (known) LIMIT 1;
  IF FOUND THEN
    RAISE EXCEPTION 'georep.wait_replicated: % is not another region heard of here (this region'
                    ' is %)', coalesce(unknown, 'NULL'), georep.local_region()
      USING ERRCODE = '22023', HINT = 'regions heard of here: ' || array_to_string(known, ', ');
  END IF;
  PERFORM georep.wait_replicated_among(token, regions, cardinality(regions), timeout);
END $$;

-- Returns once at least `regions` other regions have applied everything the token names.
CREATE FUNCTION georep.wait_replicated(token text, regions integer,
                                       timeout interval DEFAULT interval '10 seconds')
RETURNS void
LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
  known text[] := georep.other_regions();
BEGIN
  IF regions IS NULL OR regions < 1 OR regions > cardinality(known) THEN
    RAISE EXCEPTION 'georep.wait_replicated: regions must be between 1 and the % other regions'
                    ' heard of here, got %', cardinality(known), coalesce(regions::text, 'NULL')
      USING ERRCODE = '22023', HINT = 'regions heard of here: ' || array_to_string(known, ', ');
  END IF;
  PERFORM georep.wait_replicated_among(token, known, regions, timeout);
END $$;

-- Global ids: a 64-bit id of 41 bits of milliseconds since 2026-01-01 UTC, 10 bits of region
-- number (the region's place in the agents' regions list) and 12 bits of sequence. Time and sequence
-- come together from one sequence, v = ms * 4096 + n, which only moves forward: the function pulls
-- it up to the wall clock when it lags (under an exclusive advisory lock, while every nextval holds
-- the shared one, so the jump never goes back), and when more than 4,096 ids are asked for in a
-- millisecond, or the clock steps back, it simply runs ahead of the clock. An id therefore never
-- repeats in a region, across restarts and crashes too (a sequence never returns a value again
-- once a transaction that used it committed), and never across regions (the region number).
CREATE SEQUENCE georep.id_seq MINVALUE 0 START 0;

-- next_id at a given wall time (ms since the Unix epoch), for tests; next_id() passes the clock.
CREATE FUNCTION georep.next_id_at(now_ms bigint) RETURNS bigint
LANGUAGE plpgsql VOLATILE SET search_path = pg_catalog, pg_temp AS $$
DECLARE
  num integer;
  v bigint;
  slot bigint := greatest(now_ms - 1767225600000, 0) << 12;
BEGIN
  SELECT number INTO num FROM georep.region_progress WHERE local AND region = origin LIMIT 1;
  IF num IS NULL OR num < 1 OR num > 1023 THEN
    RAISE EXCEPTION 'georep.next_id(): this region''s number is %',
                    coalesce(num::text, 'not known yet')
      USING ERRCODE = '55000',
            HINT = 'start this region''s agent (georep run -c agent.yaml): it records the number,'
                   || ' its place in the regions list (1 to 1023)';
  END IF;
  -- With a transaction id, the commit waits for the WAL that holds the sequence's new value: an
  -- id handed out by a committed transaction is never handed out again after a crash.
  PERFORM txid_current();
  PERFORM pg_advisory_lock_shared(7450483695673166148);
  v := nextval('georep.id_seq');
  PERFORM pg_advisory_unlock_shared(7450483695673166148);
  IF v < slot THEN
    PERFORM pg_advisory_lock(7450483695673166148);
    v := nextval('georep.id_seq');
    IF v < slot THEN
      v := setval('georep.id_seq', slot);
    END IF;
    PERFORM pg_advisory_unlock(7450483695673166148);
  END IF;
  RETURN ((v >> 12) << 22) | (num::bigint << 12) | (v & 4095);
END $$;

REVOKE EXECUTE ON FUNCTION georep.next_id_at(bigint) FROM PUBLIC;

-- A new global id, unique across regions and restarts, roughly ordered by time.
CREATE FUNCTION georep.next_id() RETURNS bigint
LANGUAGE sql VOLATILE SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
  SELECT georep.next_id_at((extract(epoch FROM clock_timestamp()) * 1000)::bigint)
$$;
