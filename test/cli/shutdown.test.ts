import { afterEach, describe, expect, it, vi } from 'vitest';
import pino from 'pino';
import type { Collector } from '../../src/collector/collector.ts';
import { Shutdown } from '../../src/cli/shutdown.ts';
import { RunStats } from '../../src/collector/stats.ts';
import { ProgressReporter } from '../../src/monitor/progress.ts';

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

  it('the stop warning starts a line of its own after a progress bar (issue 15 §7: it was glued to the bar)', () => {
    const out: string[] = [];
    const stream = { write: (text: string) => out.push(text) > 0 } as unknown as NodeJS.WriteStream;
    const log = pino({ level: 'warn' }, { write: (text: string) => void out.push(text) });
    const s = new Shutdown(20_000, log);
    made.push(s);
    const progress = new ProgressReporter(new RunStats(), { mode: 'bar', intervalMs: 60_000, log, stream });
    // As run-bucket.ts wires them: the bar's line ends when the stop begins.
    s.signal.addEventListener('abort', () => progress.endLine(), { once: true });
    s.attach(fakeCollector() as unknown as Collector);
    progress.stop();
    out.splice(0);
    (progress as unknown as { tick(): void }).tick();
    process.emit('SIGTERM', 'SIGTERM');
    expect(out[0]).toMatch(/^\r\[/);
    expect(out[1]).toBe('\n');
    expect(out[2]).toMatch(/^\{.*"msg":"stopping: no new users/);
    progress.endLine();
    expect(out).toHaveLength(3);
  });
});
