-- The tables the example publications in this directory describe.
-- Try them: psql -f schema.sql, then `georep publication plan *.yaml --db <jdbc-url>`.

CREATE TABLE public.orders (
  id          bigint PRIMARY KEY,
  customer_id bigint NOT NULL,
  status      text NOT NULL,
  quantity    integer NOT NULL DEFAULT 0,
  total       numeric(12,2),
  updated_at  timestamptz NOT NULL DEFAULT now()
);
-- counter columns ship deltas (after - before): the old row must be logged.
ALTER TABLE public.orders REPLICA IDENTITY FULL;

CREATE TABLE public.stock (
  sku      text PRIMARY KEY,
  on_hand  integer NOT NULL DEFAULT 0,
  reserved integer NOT NULL DEFAULT 0
);
ALTER TABLE public.stock REPLICA IDENTITY FULL;

CREATE TABLE public.profiles (
  user_id       bigint PRIMARY KEY,
  display_name  text,
  bio           text,
  tags          text[] NOT NULL DEFAULT '{}',
  last_seen     timestamptz,
  password_hash text
);
-- or-set columns ship added and removed elements: the old row must be logged.
ALTER TABLE public.profiles REPLICA IDENTITY FULL;

CREATE TABLE public.customers (
  id             bigint PRIMARY KEY,
  email          text,
  country        text NOT NULL,
  phone          text,
  test_account   boolean NOT NULL DEFAULT false,
  created_at     timestamptz NOT NULL DEFAULT now(),
  internal_notes text
);
-- the row filter reads country and test_account, which updates and deletes must carry.
ALTER TABLE public.customers REPLICA IDENTITY FULL;

CREATE TABLE public.payments (
  id          bigint PRIMARY KEY,
  customer_id bigint NOT NULL,
  amount      numeric(12,2) NOT NULL,
  card_number text,
  note        text
);
ALTER TABLE public.payments REPLICA IDENTITY FULL;
