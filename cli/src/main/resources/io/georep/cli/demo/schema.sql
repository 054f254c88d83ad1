-- The sample schema of `georep demo`, created in every region before the agents start
-- (logical replication carries no DDL).

-- Accounts: the balance is a counter column (increments from every region add up); the e-mail is
-- unique, so two regions opening an account with the same e-mail clash.
CREATE TABLE accounts (
  id      integer PRIMARY KEY,
  email   text    NOT NULL UNIQUE,
  owner   text    NOT NULL,
  balance bigint  NOT NULL DEFAULT 0
);
-- Counter columns ship deltas (after - before): the old row must be logged.
ALTER TABLE accounts REPLICA IDENTITY FULL;

-- Profiles: every field resolves on its own (column-level last writer wins), and tags merge as an
-- observed-remove set.
CREATE TABLE profiles (
  id           integer PRIMARY KEY,
  display_name text,
  city         text,
  status       text,
  tags         text[]  NOT NULL DEFAULT '{}'
);
-- Updates ship only the changed columns, and OR-set columns ship added and removed elements.
ALTER TABLE profiles REPLICA IDENTITY FULL;

-- Orders: whole-row last writer wins; placed, changed and cancelled in every region.
CREATE TABLE orders (
  id         integer       PRIMARY KEY,
  account_id integer       NOT NULL REFERENCES accounts (id) DEFERRABLE,
  amount     numeric(10,2) NOT NULL,
  status     text          NOT NULL
);
CREATE INDEX orders_account ON orders (account_id);

-- One row per region, written when the load stops: once every region has every other region's
-- row, everything written before it has been shipped.
CREATE TABLE checkpoints (
  region text   PRIMARY KEY,
  round  bigint NOT NULL
);
