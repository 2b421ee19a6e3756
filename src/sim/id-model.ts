/**
 * Where simulated user IDs fall, calibrated on the reference run's NTILE(10) buckets (REFERENCE-RUN.md):
 * the k-th tenth of users (oldest first) spans the same ID range as the reference's bucket k. Pre-2016
 * Twitter IDs were sequential up to 2^32; later ones are snowflakes from ~7e17, which is why bucket 7
 * jumps from 4.3e9 to 8.3e17. About 40% of IDs are therefore above 2^53.
 *
 * The mapping index -> ID is strictly increasing, so user index order is ID order.
 */

/** Upper ID of each reference bucket, preceded by the oldest ID we generate. */
const KNOTS: readonly bigint[] = [12n, 49223966n, 218645473n, 446518003n, 1126843322n, 2557922900n, 4277913148n, 833566039577239552n, 1012042187482202113n, 1154556355883089920n, 1242523027058769920n];

const LAST_SEQUENTIAL_ID = 4294967295; // 2^32 - 1: the last pre-snowflake user ID
const FIRST_SNOWFLAKE_ID = 700000000000000000n;
/** Share of bucket 7's users still on sequential IDs (the rest have snowflakes). */
const SEQUENTIAL_SHARE_OF_BUCKET_7 = 0.15;

const TWO_32 = 2 ** 32;

/** IDs below 2^53 come from float interpolation plus the index (exact integers, strictly increasing). */
function smallId(q: number, index: number): bigint {
  const decile = Math.min(9, Math.floor(q * 10));
  let value: number;
  if (decile === 0) {
    // Geometric inside the oldest tenth: the first accounts have two-digit IDs.
    const lo = Number(KNOTS[0]);
    const hi = Number(KNOTS[1]);
    value = lo * Math.pow(hi / lo, q * 10);
  } else if (decile < 6) {
    const lo = Number(KNOTS[decile]);
    const hi = Number(KNOTS[decile + 1]);
    value = lo + (hi - lo) * (q * 10 - decile);
  } else {
    const f = (q - 0.6) / (0.1 * SEQUENTIAL_SHARE_OF_BUCKET_7);
    const lo = Number(KNOTS[6]);
    value = lo + (LAST_SEQUENTIAL_ID - lo) * f;
  }
  return BigInt(Math.floor(value) + index);
}

/** Snowflake IDs: BigInt interpolation plus up to 16 bits of per-user jitter, far below the spacing. */
function snowflakeId(q: number, jitter: number): bigint {
  let lo: bigint;
  let hi: bigint;
  let f: number;
  if (q < 0.7) {
    lo = FIRST_SNOWFLAKE_ID;
    hi = KNOTS[7]!;
    const start = 0.6 + 0.1 * SEQUENTIAL_SHARE_OF_BUCKET_7;
    f = (q - start) / (0.7 - start);
  } else {
    const decile = Math.min(9, Math.floor(q * 10));
    lo = KNOTS[decile]!;
    hi = KNOTS[decile + 1]!;
    f = q * 10 - decile;
  }
  const scaled = BigInt(Math.floor(f * TWO_32));
  return lo + ((hi - lo) * scaled) / BigInt(TWO_32) + BigInt(jitter & 0xffff);
}

/** The ID of the user at `index` (0 = oldest) in a graph of `n` users. `jitter` is a per-user hash. */
export function idAt(index: number, n: number, jitter: number): bigint {
  const q = index / n;
  if (q < 0.6 + 0.1 * SEQUENTIAL_SHARE_OF_BUCKET_7) return smallId(q, index);
  return snowflakeId(q, jitter);
}
