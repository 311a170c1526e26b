import { Effect } from "effect"
import { SqlClient } from "effect/sql"

/** Catalog and inventory. Stock invariants live in CHECK constraints so no code path can oversell. */
export default Effect.gen(function*() {
  const sql = yield* SqlClient.SqlClient
  yield* sql`CREATE EXTENSION IF NOT EXISTS pg_trgm`
  yield* sql`
    CREATE TABLE products (
      id text PRIMARY KEY,
      sku text NOT NULL,
      name text NOT NULL CHECK (char_length(name) BETWEEN 1 AND 200),
      description text NOT NULL DEFAULT '' CHECK (char_length(description) <= 5000),
      category text NOT NULL CHECK (char_length(category) BETWEEN 1 AND 100),
      price_cents bigint NOT NULL CHECK (price_cents > 0),
      currency char(3) NOT NULL DEFAULT 'USD',
      on_hand integer NOT NULL CHECK (on_hand >= 0),
      reserved integer NOT NULL DEFAULT 0 CHECK (reserved >= 0 AND reserved <= on_hand),
      sold integer NOT NULL DEFAULT 0 CHECK (sold >= 0),
      search_vector tsvector GENERATED ALWAYS AS (
        setweight(to_tsvector('english'::regconfig, name), 'A') ||
        setweight(to_tsvector('english'::regconfig, description), 'B')
      ) STORED,
      version integer NOT NULL DEFAULT 1,
      created_at timestamptz NOT NULL DEFAULT now(),
      updated_at timestamptz NOT NULL DEFAULT now()
    )`
  yield* sql`CREATE UNIQUE INDEX products_sku_key ON products (upper(sku))`
  yield* sql`CREATE INDEX products_search_idx ON products USING GIN (search_vector)`
  yield* sql`CREATE INDEX products_name_trgm_idx ON products USING GIN (name gin_trgm_ops)`
  yield* sql`CREATE INDEX products_category_price_idx ON products (category, price_cents)`
  yield* sql`CREATE INDEX products_created_idx ON products (created_at DESC, id DESC)`
  yield* sql`
    CREATE TABLE reservations (
      order_id text PRIMARY KEY,
      status text NOT NULL CHECK (status IN ('reserved', 'committed', 'released', 'expired')),
      expires_at timestamptz NOT NULL,
      created_at timestamptz NOT NULL DEFAULT now(),
      updated_at timestamptz NOT NULL DEFAULT now()
    )`
  yield* sql`CREATE INDEX reservations_expiry_idx ON reservations (expires_at) WHERE status = 'reserved'`
  yield* sql`
    CREATE TABLE reservation_items (
      order_id text NOT NULL REFERENCES reservations (order_id),
      product_id text NOT NULL REFERENCES products (id),
      quantity integer NOT NULL CHECK (quantity > 0),
      PRIMARY KEY (order_id, product_id)
    )`
})
