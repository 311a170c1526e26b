/**
 * `npm run seed` (`make seed`): loads a realistic catalog (default 10,000 products in 12 categories) into the product
 * database.
 *
 * Targets DATABASE_URL; else the `shop_product` database on POSTGRES_URL (what `make seed` passes: compose's
 * PostgreSQL by default); else the embedded product database of `npm start`
 * (postgres://postgres@127.0.0.1:54331/postgres: EMBEDDED_PG_PORT_BASE 54330 + PORT_OFFSET + 1). The database is
 * created and migrated when missing. Deterministic for a given SEED_RANDOM (default 42); SEED_COUNT sets the size.
 * Idempotent: products whose SKU exists are skipped, so running it twice adds nothing. The rows go in behind the
 * product service's back, so the seed then moves the catalog epoch: running product services drop their caches
 * (Redis or memory) within a second and the new products are listed at once.
 */
import { NodeRuntime } from "@effect/platform-node"
import { ProductId } from "@shop/domain/Ids"
import { moveCatalogEpoch } from "@shop/product/CatalogEpochWatch"
import { migrations } from "@shop/product/migrations/index"
import { DatabaseLive } from "@shop/service-defaults/Database"
import { HealthChecks } from "@shop/service-defaults/HealthChecks"
import { LoggingLive } from "@shop/service-defaults/Observability"
import { Topology } from "@shop/service-defaults/Topology"
import { Array as Arr, ConfigProvider, Effect, Layer } from "effect"
import { SqlClient } from "effect/sql"
import { databaseOn } from "./databases.ts"

const databaseUrl = process.env.DATABASE_URL ??
  (process.env.POSTGRES_URL
    ? databaseOn(process.env.POSTGRES_URL, Topology.product.database)
    : `postgres://postgres@127.0.0.1:${
      Number(process.env.EMBEDDED_PG_PORT_BASE ?? 54330) + Number(process.env.PORT_OFFSET ?? 0) + 1
    }/postgres`)
const count = Number(process.env.SEED_COUNT ?? 10_000)
const batchSize = 500

/** mulberry32: a small, fast, deterministic generator. */
const random = (() => {
  let state = Number(process.env.SEED_RANDOM ?? 42) >>> 0
  return () => {
    state = (state + 0x6d2b79f5) >>> 0
    let t = state
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
})()
const pick = <A>(items: ReadonlyArray<A>): A => items[Math.floor(random() * items.length)]!

/** A category: its SKU prefix, price range in cents, and "|"-separated nouns, adjectives and features. */
const category = (
  name: string,
  sku: string,
  cents: readonly [number, number],
  [nouns, adjectives, features]: readonly [string, string, string]
): CategorySpec => ({
  name,
  sku,
  cents,
  nouns: nouns.split("|"),
  adjectives: adjectives.split("|"),
  features: features.split("|")
})

interface CategorySpec {
  readonly name: string
  readonly sku: string
  readonly cents: readonly [number, number]
  readonly nouns: ReadonlyArray<string>
  readonly adjectives: ReadonlyArray<string>
  readonly features: ReadonlyArray<string>
}

const categories: ReadonlyArray<CategorySpec> = [
  category("Electronics", "ELEC", [999, 49_999], [
    "Mouse|Headphones|Earbuds|Speaker|Charger|Power Bank|Webcam|Microphone|Smartwatch|Tablet Stand|USB-C Hub|Monitor",
    "Wireless|Bluetooth|Portable|Noise Cancelling|Compact|Rechargeable|Smart|Ultra-Slim|Gaming|Studio",
    "a battery that lasts all week|fast USB-C charging|low-latency Bluetooth 5.3|a braided cable|plug-and-play setup|a two-year warranty"
  ]),
  category("Computers", "COMP", [1_499, 199_999], [
    "Keyboard|Laptop Sleeve|Docking Station|External SSD|Laptop Stand|Graphics Tablet|Router|Trackpad|Memory Card|Cooling Pad",
    "Ergonomic|Mechanical|Aluminium|Low-Profile|High-Speed|Backlit|Foldable|Dual-Band|Silent|Pro",
    "hot-swappable switches|transfer speeds up to 1050 MB/s|an anodised aluminium body|adjustable height and tilt|support for three displays|a whisper-quiet fan"
  ]),
  category("Home & Kitchen", "HOME", [799, 39_999], [
    "Coffee Maker|Blender|Chef Knife|Cutting Board|Kettle|Toaster|Dutch Oven|Frying Pan|Food Container Set|Table Lamp",
    "Stainless Steel|Non-Stick|Cast Iron|Bamboo|Programmable|Electric|Glass|Ceramic|Classic|Modern",
    "dishwasher-safe parts|an auto shut-off|even heat distribution|a lifetime warranty|BPA-free materials|a soft-grip handle"
  ]),
  category("Sports & Outdoors", "SPRT", [999, 29_999], [
    "Yoga Mat|Water Bottle|Hiking Backpack|Tent|Running Shoes|Dumbbell Set|Jump Rope|Sleeping Bag|Camping Stove|Bike Helmet",
    "Lightweight|Waterproof|Insulated|Adjustable|Non-Slip|Trail|Ultralight|Foldable|Breathable|Heavy-Duty",
    "a ripstop nylon shell|a non-slip surface|double-wall vacuum insulation|reflective details|a carry strap|quick-dry fabric"
  ]),
  category("Books", "BOOK", [499, 5_999], [
    "Cookbook|Novel|Travel Guide|Field Guide|Atlas|Poetry Collection|Biography|Workbook|Graphic Novel|Sketchbook",
    "Illustrated|Hardcover|Paperback|Pocket|Annotated|Collector's|Beginner's|Complete|Deluxe|Classic",
    "full-colour photographs|an introduction by the author|a ribbon bookmark|acid-free paper|a detailed index|maps and diagrams"
  ]),
  category("Toys & Games", "TOYS", [599, 14_999], [
    "Board Game|Puzzle|Building Blocks|Plush Bear|Card Game|Remote Control Car|Kite|Train Set|Doll House|Science Kit",
    "Family|Wooden|1000-Piece|Educational|Glow-in-the-Dark|Magnetic|Cooperative|Deluxe|Mini|Classic",
    "non-toxic paints|rules for two to six players|a sturdy storage box|rounded, child-safe edges|rechargeable batteries|step-by-step instructions"
  ]),
  category("Beauty", "BEAU", [499, 9_999], [
    "Face Serum|Moisturizer|Shampoo|Lip Balm|Hair Dryer|Body Lotion|Sunscreen|Makeup Brush Set|Face Mask|Nail Kit",
    "Hydrating|Organic|Fragrance-Free|Vitamin C|Travel-Size|Ionic|Soothing|Matte|Gentle|Daily",
    "hyaluronic acid|cruelty-free ingredients|SPF 50 protection|a recyclable bottle|dermatologist-tested formula|shea butter and aloe"
  ]),
  category("Clothing", "CLTH", [999, 24_999], [
    "T-Shirt|Hoodie|Rain Jacket|Jeans|Wool Socks|Beanie|Scarf|Sneakers|Fleece Vest|Polo Shirt",
    "Organic Cotton|Merino|Slim-Fit|Relaxed|Waterproof|Recycled|Classic|Oversized|Stretch|Everyday",
    "reinforced seams|a relaxed fit|moisture-wicking fabric|machine-washable material|a hidden zip pocket|fair-trade cotton"
  ]),
  category("Garden", "GRDN", [699, 29_999], [
    "Garden Hose|Pruning Shears|Planter|Watering Can|Bird Feeder|Raised Bed|Seed Starter Kit|Garden Gloves|Compost Bin|Solar Light",
    "Expandable|Galvanised|Self-Watering|Terracotta|Cedar|Ergonomic|Weatherproof|Collapsible|Heavy-Duty|Decorative",
    "UV-resistant materials|a rust-proof finish|drainage holes|a comfortable grip|tool-free assembly|a five-year warranty"
  ]),
  category("Office Supplies", "OFFC", [299, 19_999], [
    "Notebook|Desk Organizer|Fountain Pen|Mouse Pad|Desk Lamp|Stapler|Whiteboard|Filing Cabinet|Label Maker|Monitor Riser",
    "Dotted|Leather|Refillable|Extended|LED|Heavy-Duty|Magnetic|Compact|Bamboo|Minimalist",
    "120 gsm paper|a non-slip rubber base|a dimmable warm light|stitched edges|a lockable drawer|a refill included"
  ]),
  category("Pet Supplies", "PETS", [399, 19_999], [
    "Dog Bed|Cat Tree|Leash|Chew Toy|Pet Fountain|Litter Box|Food Bowl|Grooming Brush|Pet Carrier|Scratching Post",
    "Orthopedic|Retractable|Durable|Self-Cleaning|Stainless Steel|Calming|Washable|Reflective|Slow-Feed|Travel",
    "a removable washable cover|chew-resistant rubber|a whisper-quiet pump|airline-approved dimensions|a non-slip bottom|vet-recommended design"
  ]),
  category("Automotive", "AUTO", [799, 24_999], [
    "Dash Cam|Car Charger|Phone Mount|Tire Inflator|Jump Starter|Seat Cover|Floor Mats|Car Vacuum|Roof Box|Wiper Blades",
    "4K|Dual-Port|Magnetic|Portable|All-Weather|Cordless|Universal|Heavy-Duty|Compact|Premium",
    "night vision|a digital pressure gauge|a 12 V power plug|a universal fit|a built-in LED torch|one-touch mounting"
  ])
]

const suffixes = ["", "", "", " Pro", " Mini", " Plus", " 2-Pack", " XL", " Lite", " Max"]
const openers = [
  "Built for everyday use",
  "Designed for comfort and durability",
  "Loved by our customers",
  "Made to last",
  "Thoughtfully designed",
  "Tested by our team"
]

/** Product `index` of the catalog; the first one is always the Wireless Mouse of the examples. */
const makeProduct = (index: number) => {
  const spec = categories[index % categories.length]!
  const sku = `${spec.sku}-${String(index).padStart(6, "0")}`
  if (index === 0) {
    return {
      sku: "ELEC-WIRELESS-MOUSE",
      name: "Wireless Mouse",
      category: "Electronics",
      price_cents: 2999,
      description: "Wireless Mouse with a silent click, a 2.4 GHz nano receiver and a battery that lasts all year.",
      on_hand: 250
    }
  }
  const noun = pick(spec.nouns)
  const name = `${pick(spec.adjectives)} ${noun}${pick(suffixes)}`
  const [first, second] = [pick(spec.features), pick(spec.features)]
  const description = `${pick(openers)}, this ${noun.toLowerCase()} comes with ${first}` +
    (second === first ? "." : ` and ${second}.`) + ` Part of our ${spec.name} range.`
  const [min, max] = spec.cents
  const dollars = Math.exp(Math.log(min / 100) + random() * (Math.log(max / 100) - Math.log(min / 100)))
  const price_cents = Math.max(Math.floor(dollars) * 100 + 99, 99)
  const on_hand = random() < 0.05 ? 0 : Math.floor(random() * 500)
  return { sku, name, category: spec.name, price_cents, description, on_hand }
}

const seed = Effect.gen(function*() {
  const sql = yield* SqlClient.SqlClient
  const now = Date.now()
  let inserted = 0
  for (let start = 0; start < count; start += batchSize) {
    const rows = []
    for (let index = start; index < Math.min(start + batchSize, count); index++) {
      // spread over the past year, newest last, so that "newest first" means something
      const createdAt = new Date(now - (count - index) * 3_000_000 - Math.floor(random() * 1_000_000))
      rows.push({ id: yield* ProductId.generate, ...makeProduct(index), created_at: createdAt, updated_at: createdAt })
    }
    if (!Arr.isArrayNonEmpty(rows)) break
    const result = yield* sql`INSERT INTO products ${sql.insert(rows)} ON CONFLICT ((upper(sku))) DO NOTHING
      RETURNING id`
    inserted += result.length
    console.log(`seed: ${Math.min(start + batchSize, count)}/${count} processed, ${inserted} inserted`)
  }
  // merges the GIN pending lists and refreshes statistics, so that searches use the indexes right away
  yield* sql`VACUUM ANALYZE products`
  // the product services running on this database drop their caches, so the new products are listed at once
  yield* moveCatalogEpoch
  const [total] = yield* sql<{ n: number }>`SELECT count(*)::int AS n FROM products`
  console.log(`seed: done; ${inserted} new products, ${count - inserted} already present, ${total?.n} in the catalog`)
})

console.log(`seed: ${count} products into ${databaseUrl.replace(/\/\/[^@]*@/, "//")}`)
seed.pipe(
  Effect.provide(
    DatabaseLive({ database: Topology.product.database, migrations }).pipe(
      Layer.provide(HealthChecks.layer),
      Layer.provide(
        ConfigProvider.layer(ConfigProvider.fromUnknown({ DATABASE_URL: databaseUrl, DATABASE_POOL_MAX: "1" }))
      )
    )
  ),
  Effect.provide(LoggingLive("seed")),
  NodeRuntime.runMain
)
