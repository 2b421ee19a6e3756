import { describe, expect, it } from 'vitest';
import { HostGate } from '../../src/collector/host-gate.ts';

describe('HostGate: per-host queues', () => {
  it("lets other hosts' users go ahead while a busy host's users wait, holding no slot", async () => {
    const busy = new Set(['slow']);
    const gate = new HostGate({ maxInFlight: 2, busy: (h) => busy.has(h) });
    const started: string[] = [];
    const enter = (host: string, name: string) => gate.enter(host).then(() => void started.push(name));
    const waiting = [enter('slow', 's1'), enter('slow', 's2')];
    await enter('a', 'a1');
    await enter('b', 'b1');
    expect(started).toEqual(['a1', 'b1']);
    expect(gate.waiting).toBe(2);
    // The bound holds: a third host's user waits for a slot.
    const c1 = enter('c', 'c1');
    gate.leave();
    await c1;
    expect(started).toEqual(['a1', 'b1', 'c1']);
    // The slow host can take users again: they start as slots free up, in turn.
    busy.clear();
    gate.leave();
    gate.leave();
    await Promise.all(waiting);
    expect(started).toEqual(['a1', 'b1', 'c1', 's1', 's2']);
    expect(gate.inFlight).toBe(2);
  });

  it('takes hosts in turn, counts lookups against the bound, and rejects waiting users when closed', async () => {
    const gate = new HostGate({ maxInFlight: 1, busy: () => false });
    gate.beginLookup();
    const order: string[] = [];
    const all = ['x1', 'x2', 'y1', 'y2'].map((n) => gate.enter(n[0]!).then(() => void order.push(n)));
    expect(order).toEqual([]);
    gate.endLookup();
    for (let i = 0; i < 4; i++) {
      await Promise.resolve();
      await new Promise((r) => setImmediate(r));
      gate.leave();
    }
    await Promise.all(all);
    expect(order).toEqual(['x1', 'y1', 'x2', 'y2']);
    // Closed (the run stops), waiting users and later ones are rejected with the reason given: the
    // collector gives the one that abandons them, so none is written as failed.
    const closed = new HostGate({ maxInFlight: 0, busy: () => false });
    const waiter = closed.enter('z');
    const stopping = new Error('run is stopping');
    closed.close(stopping);
    await expect(waiter).rejects.toBe(stopping);
    await expect(closed.enter('z')).rejects.toBe(stopping);
  });
});
