import { afterEach, describe, expect, it, vi } from 'vitest';
import pino from 'pino';
import type { Collector } from '../../src/collector/collector.ts';
import { Shutdown } from '../../src/cli/shutdown.ts';

const quiet = pino({ level: 'silent' });

function fakeCollector() {
  return { stop: vi.fn(), abort: vi.fn() };
}

describe('Shutdown', () => {
  const made: Shutdown[] = [];
  afterEach(() => {
    for (const s of made.splice(0)) s[Symbol.dispose]();
    vi.useRealTimers();
  });
  const shutdown = (timeoutMs: number) => {
    const s = new Shutdown(timeoutMs, quiet);
    made.push(s);
    return s;
  };

  it('stops taking users at the first signal and abandons in-flight ones after the timeout', () => {
    vi.useFakeTimers();
    const s = shutdown(20_000);
    const collector = fakeCollector();
    s.attach(collector as unknown as Collector);
    process.emit('SIGTERM', 'SIGTERM');
    expect(s.requested).toBe(true);
    expect(collector.stop).toHaveBeenCalledOnce();
    expect(collector.abort).not.toHaveBeenCalled();
    vi.advanceTimersByTime(19_999);
    expect(collector.abort).not.toHaveBeenCalled();
    vi.advanceTimersByTime(1);
    expect(collector.abort).toHaveBeenCalledWith('shutdown timeout');
  });

  it('abandons in-flight users at once on a second signal', () => {
    const s = shutdown(20_000);
    const collector = fakeCollector();
    s.attach(collector as unknown as Collector);
    process.emit('SIGTERM', 'SIGTERM');
    process.emit('SIGINT', 'SIGINT');
    expect(collector.abort).toHaveBeenCalledWith('second SIGINT');
  });

  it('remembers a signal that came before collecting began, and stops the collector as soon as there is one', () => {
    vi.useFakeTimers();
    const s = shutdown(5000);
    process.emit('SIGTERM', 'SIGTERM');
    expect(s.requested).toBe(true);
    const collector = fakeCollector();
    s.attach(collector as unknown as Collector);
    expect(collector.stop).toHaveBeenCalledOnce();
    vi.advanceTimersByTime(5000);
    expect(collector.abort).toHaveBeenCalledWith('shutdown timeout');
  });

  it('leaves the process signal handlers as it found them', () => {
    const before = process.listenerCount('SIGTERM');
    shutdown(1000)[Symbol.dispose]();
    expect(process.listenerCount('SIGTERM')).toBe(before);
  });
});
