import { readFileSync } from 'node:fs';

/** The parts of a worker a CPU sample can be charged to. */
export type Stage = 'fetch' | 'parse' | 'sink' | 'collector' | 'gc' | 'other';
export const STAGES: readonly Stage[] = ['fetch', 'parse', 'sink', 'collector', 'gc', 'other'];

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}

interface CpuProfile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

/**
 * Which stage a frame belongs to, by the module it runs in. The first matching frame from the leaf up
 * wins, so undici code called by the collector counts as fetch and DuckDB calls made by the sink count
 * as sink.
 */
function stageOfFrame(url: string, functionName: string): Stage | undefined {
  if (functionName === '(garbage collector)') return 'gc';
  if (url.includes('/sources/twitter-html/parse') || url.includes('/sources/twitter-html/page')) return 'parse';
  if (url.includes('/sinks/') || url.includes('@duckdb')) return 'sink';
  if (url.includes('/undici/') || url.includes('/sources/') || /^node:(net|_http|http|stream|internal\/(stream|net|http|dns|streams|timers|webstreams))/.test(url)) return 'fetch';
  if (url.includes('/collector/') || url.includes('p-limit') || url.includes('yocto-queue')) return 'collector';
  return undefined;
}

/**
 * Splits a V8 CPU profile's busy time (idle and "(program)" left out) into stages, from the leaf up
 * the stack. Also returns the functions with the most self time, for finding hot spots.
 */
export function stageShares(path: string): { busyMs: number; byStage: Record<Stage, number>; hottest: { fn: string; ms: number }[] } {
  const profile = JSON.parse(readFileSync(path, 'utf8')) as CpuProfile;
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const stageOf = new Map<number, Stage | 'idle'>();
  const resolve = (id: number): Stage | 'idle' => {
    const cached = stageOf.get(id);
    if (cached) return cached;
    const node = byId.get(id)!;
    const name = node.callFrame.functionName;
    let stage: Stage | 'idle' | undefined = name === '(idle)' || name === '(program)' ? 'idle' : stageOfFrame(node.callFrame.url, name);
    if (stage === undefined) {
      const p = parent.get(id);
      stage = p === undefined ? 'other' : resolve(p);
      if (stage === 'idle') stage = 'other';
    }
    stageOf.set(id, stage);
    return stage;
  };
  const byStage = Object.fromEntries(STAGES.map((s) => [s, 0])) as Record<Stage, number>;
  const self = new Map<string, number>();
  let busyUs = 0;
  profile.samples.forEach((id, i) => {
    const dt = profile.timeDeltas[i] ?? 0;
    const stage = resolve(id);
    if (stage === 'idle') return;
    busyUs += dt;
    byStage[stage] += dt / 1000;
    const f = byId.get(id)!.callFrame;
    const key = `${f.functionName || '(anonymous)'} ${f.url.replace(/^.*node_modules\//, '').replace(/^file:\/\/.*\/(src|dist)\//, '$1/')}:${f.lineNumber + 1}`;
    self.set(key, (self.get(key) ?? 0) + dt / 1000);
  });
  const hottest = [...self]
    .sort((a, b) => b[1] - a[1])
    .slice(0, 25)
    .map(([fn, ms]) => ({ fn, ms }));
  return { busyMs: busyUs / 1000, byStage, hottest };
}
