/**
 * JSON for the warehouse host's wire: BigInts (DuckDB BIGINT/HUGEINT counts and IDs) and Dates keep
 * their types across the hop, as `{"$bigint": "..."}` and `{"$date": "..."}`, so a reader sees the same
 * values through the host as from the file, and no ID ever passes through a JS number.
 */
export function encode(value: unknown): string {
  return JSON.stringify(value, function (this: Record<string, unknown>, key: string, v: unknown) {
    const original = this[key];
    if (typeof original === 'bigint') return { $bigint: original.toString() };
    if (original instanceof Date) return { $date: original.toISOString() };
    return v;
  });
}

export function decode<T = unknown>(text: string): T {
  return JSON.parse(text, (_key, v: unknown) => {
    if (v !== null && typeof v === 'object' && !Array.isArray(v)) {
      const o = v as Record<string, unknown>;
      const keys = Object.keys(o);
      if (keys.length === 1 && typeof o.$bigint === 'string') return BigInt(o.$bigint);
      if (keys.length === 1 && typeof o.$date === 'string') return new Date(o.$date);
    }
    return v;
  }) as T;
}
