/** One heartbeat as the monitor reads it: a run's cumulative counters at `beat_at`, and when the run started. */
export interface Beat {
  run_id: string;
  worker: string;
  started_at: Date;
  beat_at: Date;
  users_done: number;
  requests: number;
  rate_limited: number;
  /** Null in heartbeats written before the column existed. */
  rate_limit_wait_ms: number | null;
}

/** What one worker did in one time slot: counts from the growth of its heartbeats' counters. */
export interface ActivitySlot {
  slot_start: string;
  slot_seconds: number;
  worker: string;
  users: number;
  requests: number;
  /** 429 answers. */
  rate_limited: number;
  /** Seconds requests waited for the rate-limit budget, summed over requests. */
  rate_limit_wait_seconds: number;
}

/** Points a chart draws at most: slots are the shortest of these lengths that cover the span in this many. */
export const ACTIVITY_POINTS = 60;
const SLOT_SECONDS = [1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 10_800, 21_600, 43_200, 86_400];

type Counters = Pick<Beat, 'users_done' | 'requests' | 'rate_limited'> & { wait_ms: number };

/**
 * Activity over time, per worker, from heartbeats: between two heartbeats of a run (or its start and
 * its first heartbeat, when it started within the window) the growth of each counter is spread evenly
 * over the slots that interval covers, so the lines show rates at the heartbeats' own resolution
 * whatever the slot length. Slots are sized to the span of the data (1 s for a trial of seconds, hours
 * for a run of days) so a chart has up to ACTIVITY_POINTS points. `windowStart` is where the query's
 * window began: a run that started before it has its first heartbeat in the window as its baseline.
 */
export function activitySlots(beats: readonly Beat[], windowStart: Date): ActivitySlot[] {
  const byRun = new Map<string, Beat[]>();
  for (const b of beats) byRun.set(b.run_id, [...(byRun.get(b.run_id) ?? []), b]);
  const spans: { worker: string; from: number; to: number; grew: Counters }[] = [];
  for (const runBeats of byRun.values()) {
    const sorted = [...runBeats].sort((a, b) => a.beat_at.getTime() - b.beat_at.getTime());
    const first = sorted[0]!;
    const startsInWindow = first.started_at.getTime() >= windowStart.getTime();
    let at = startsInWindow ? first.started_at.getTime() : first.beat_at.getTime();
    let prev: Counters = startsInWindow ? { users_done: 0, requests: 0, rate_limited: 0, wait_ms: 0 } : counters(first);
    for (const beat of startsInWindow ? sorted : sorted.slice(1)) {
      const now = counters(beat);
      const t = beat.beat_at.getTime();
      const grew = {
        users_done: Math.max(0, now.users_done - prev.users_done),
        requests: Math.max(0, now.requests - prev.requests),
        rate_limited: Math.max(0, now.rate_limited - prev.rate_limited),
        wait_ms: Math.max(0, now.wait_ms - prev.wait_ms),
      };
      if (t >= at) spans.push({ worker: beat.worker, from: at, to: t, grew });
      at = Math.max(at, t);
      prev = now;
    }
  }
  if (spans.length === 0) return [];
  const from = Math.min(...spans.map((s) => s.from));
  const to = Math.max(...spans.map((s) => s.to));
  const slotMs = slotSecondsFor((to - from) / 1000) * 1000;
  const slots = new Map<string, ActivitySlot>();
  const slotOf = (worker: string, start: number): ActivitySlot => {
    const key = `${worker}\u0000${start}`;
    let slot = slots.get(key);
    if (!slot) {
      slot = { slot_start: new Date(start).toISOString(), slot_seconds: slotMs / 1000, worker, users: 0, requests: 0, rate_limited: 0, rate_limit_wait_seconds: 0 };
      slots.set(key, slot);
    }
    return slot;
  };
  for (const span of spans) {
    const length = span.to - span.from;
    for (let start = Math.floor(span.from / slotMs) * slotMs; start <= span.to; start += slotMs) {
      // A zero-length span (a heartbeat at the very start) lands whole in its slot.
      const share = length === 0 ? 1 : Math.max(0, Math.min(span.to, start + slotMs) - Math.max(span.from, start)) / length;
      if (share === 0 && length > 0) continue;
      const slot = slotOf(span.worker, start);
      slot.users += span.grew.users_done * share;
      slot.requests += span.grew.requests * share;
      slot.rate_limited += span.grew.rate_limited * share;
      slot.rate_limit_wait_seconds += (span.grew.wait_ms * share) / 1000;
      if (length === 0) break;
    }
  }
  // Every worker gets every slot of the span, so a worker's line drops to zero where it did nothing.
  const workers = [...new Set(spans.map((s) => s.worker))];
  for (let start = Math.floor(from / slotMs) * slotMs; start <= to; start += slotMs) for (const w of workers) slotOf(w, start);
  return [...slots.values()].sort((a, b) => a.slot_start.localeCompare(b.slot_start) || a.worker.localeCompare(b.worker));
}

/** The shortest slot length that covers `spanSeconds` in ACTIVITY_POINTS slots. */
export function slotSecondsFor(spanSeconds: number): number {
  return SLOT_SECONDS.find((s) => spanSeconds / s <= ACTIVITY_POINTS) ?? SLOT_SECONDS.at(-1)!;
}

function counters(b: Beat): Counters {
  return { users_done: b.users_done, requests: b.requests, rate_limited: b.rate_limited, wait_ms: b.rate_limit_wait_ms ?? 0 };
}
