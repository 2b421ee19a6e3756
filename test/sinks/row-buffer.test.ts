import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { SinkError } from '../../src/core/errors.ts';
import { RowBuffer } from '../../src/sinks/row-buffer.ts';

/** A buffer whose inserts take `insertMs` and are recorded, with the timer off (an hour). */
function buffer(maxBufferedRows: number, insertMs = 5) {
  const inserted: number[][] = [];
  const rows = new RowBuffer<number>({
    insert: async (batch) => {
      await sleep(insertMs);
      inserted.push(batch);
    },
    maxBufferedRows,
    flushRows: 500,
    flushIntervalMs: 3_600_000,
    describeFailure: (error) => new SinkError(String(error)),
  });
  rows.start();
  return { rows, inserted };
}

/** Whether `p` settles within `ms`. */
async function settles(p: Promise<unknown>, ms = 5000): Promise<boolean> {
  return Promise.race([p.then(() => true), sleep(ms).then(() => false)]);
}

describe('RowBuffer', () => {
  it('lets the write that fills an idle buffer go on once its rows are taken (found by the chaos suite: the last users of a run hung)', async () => {
    const { rows, inserted } = buffer(3);
    await rows.write(1);
    await rows.write(2);
    // The third row fills the buffer while no insert is under way: it starts one, and must not wait
    // for a later write to release it (at the end of a run there is none).
    expect(await settles(rows.write(3))).toBe(true);
    await rows.flush();
    expect(inserted).toEqual([[1, 2, 3]]);
    rows.stop();
  });

  it('holds writers while the buffer is full and an insert is under way, then lets them go', async () => {
    const { rows, inserted } = buffer(2, 200);
    await rows.write(1);
    const second = rows.write(2); // fills the buffer: the insert of [1, 2] starts and the writer goes on
    expect(await settles(second)).toBe(true);
    await rows.write(3);
    const fourth = rows.write(4); // full again while [1, 2] is being inserted
    expect(await settles(fourth, 50)).toBe(false);
    expect(await settles(fourth)).toBe(true);
    await rows.flush();
    expect(inserted).toEqual([
      [1, 2],
      [3, 4],
    ]);
    rows.stop();
  });
});
