import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { SETTINGS } from '../../src/config/settings.ts';
import { SOURCE_NAMES } from '../../src/sources/source.ts';
import { HEROKU_WORKER_PROCESS } from '../../src/partition/assign.ts';
import { buildProgram } from '../../src/cli/program.ts';
import { DYNO_ENV, DYNO_NODE_ARGS } from '../../bench/workload.ts';

const root = new URL('../../', import.meta.url);
const read = (path: string) => readFileSync(new URL(path, root), 'utf8');
const pkg = JSON.parse(read('package.json')) as { bin: Record<string, string> };

/** Every env var the code reads, from the one settings table, Node's own and glibc's. */
const KNOWN_ENV = new Set([...Object.values(SETTINGS).map((s) => s.env), 'NODE_OPTIONS', 'MALLOC_ARENA_MAX']);

/** Every deploy file gives the worker the memory settings the benchmarks measured a 512 MB dyno with. */
function expectDynoSettings(env: (name: string) => string | undefined): void {
  expect(env('NODE_OPTIONS')?.split(/\s+/)).toEqual(DYNO_NODE_ARGS);
  for (const [name, value] of Object.entries(DYNO_ENV)) expect(env(name), name).toBe(value);
}

/** The worker command every deploy file must run: the package's bin, `collect`. */
function expectWorkerCommand(argv: string[]): void {
  expect(argv.slice(0, 2)).toEqual(['node', pkg.bin.friendfleet]);
  expect(argv[2]).toBe('collect');
  expect(buildProgram().commands.map((c) => c.name())).toContain(argv[2]);
}

/**
 * A deployed worker collects from a real service: SOURCE is set (it has no default), and not to
 * twitter-html, which only the sim serves (issue 15: the deploy files defaulted to it).
 */
function expectRealSource(source: string | undefined): void {
  expect(SOURCE_NAMES).toContain(source);
  expect(source).not.toBe('twitter-html');
}

describe('deploy files match the code', () => {
  it('Procfile runs the collect command as the process type whose DYNO index picks the bucket', () => {
    const lines = read('Procfile').trim().split('\n');
    const worker = lines.map((l) => /^([a-z]+):\s*(.+)$/.exec(l)!).find((m) => m[1] === HEROKU_WORKER_PROCESS);
    expect(worker).toBeDefined();
    expectWorkerCommand(worker![2]!.split(/\s+/));
  });

  it('app.json describes only env vars the code reads, and a worker formation', () => {
    const app = JSON.parse(read('app.json')) as { env: Record<string, { description: string }>; formation: Record<string, { quantity: number }> };
    for (const [name, spec] of Object.entries(app.env)) {
      expect(KNOWN_ENV.has(name), name).toBe(true);
      expect(spec.description.length).toBeGreaterThan(10);
    }
    expect(Object.keys(app.formation)).toEqual([HEROKU_WORKER_PROCESS]);
    expect(Number(app.env.PARTITIONS && (app.env.PARTITIONS as { value?: string }).value)).toBe(app.formation.worker!.quantity);
    expectDynoSettings((name) => (app.env[name] as { value?: string } | undefined)?.value);
    expectRealSource((app.env.SOURCE as { value?: string }).value);
    expect((app.env.SOURCE as { required?: boolean }).required).toBe(true);
  });

  it('the Kubernetes Job is indexed, one completion per bucket, and runs the worker with known env vars', () => {
    const job = parseYaml(read('deploy/k8s/job.yaml')) as {
      kind: string;
      spec: {
        completionMode: string;
        completions: number;
        template: { spec: { containers: { command: string[]; env: { name: string; value: string }[]; envFrom: { secretRef: { name: string } }[] }[] } };
      };
    };
    expect(job.kind).toBe('Job');
    expect(job.spec.completionMode).toBe('Indexed');
    const container = job.spec.template.spec.containers[0]!;
    expectWorkerCommand(container.command);
    for (const e of container.env) expect(KNOWN_ENV.has(e.name), e.name).toBe(true);
    expectDynoSettings((name) => container.env.find((e) => e.name === name)?.value);
    expectRealSource(container.env.find((e) => e.name === 'SOURCE')?.value);
    const partitions = container.env.find((e) => e.name === 'PARTITIONS');
    expect(Number(partitions!.value)).toBe(job.spec.completions);
    // The index variable Kubernetes sets is the one the code reads.
    expect(KNOWN_ENV.has('JOB_COMPLETION_INDEX')).toBe(true);
    const secret = parseYaml(read('deploy/k8s/secret.example.yaml')) as { kind: string; metadata: { name: string }; stringData: Record<string, string> };
    expect(secret.kind).toBe('Secret');
    expect(container.envFrom[0]!.secretRef.name).toBe(secret.metadata.name);
    for (const name of Object.keys(secret.stringData)) expect(KNOWN_ENV.has(name), name).toBe(true);
  });

  it('the Cloud Run job runs one task per bucket with the worker command and known env vars', () => {
    const job = parseYaml(read('deploy/cloud-run/job.yaml')) as {
      kind: string;
      spec: { template: { spec: { taskCount: number; template: { spec: { containers: { command: string[]; env: { name: string; value: string }[] }[] } } } } };
    };
    expect(job.kind).toBe('Job');
    expect(job.spec.template.spec.taskCount).toBeGreaterThan(1);
    const container = job.spec.template.spec.template.spec.containers[0]!;
    expectWorkerCommand(container.command);
    for (const e of container.env) expect(KNOWN_ENV.has(e.name), e.name).toBe(true);
    expectDynoSettings((name) => container.env.find((e) => e.name === name)?.value);
    expectRealSource(container.env.find((e) => e.name === 'SOURCE')?.value);
    // Cloud Run gives the bucket count itself; PARTITIONS would only be a second source of truth.
    expect(container.env.map((e) => e.name)).not.toContain('PARTITIONS');
    expect(KNOWN_ENV.has('CLOUD_RUN_TASK_INDEX') && KNOWN_ENV.has('CLOUD_RUN_TASK_COUNT')).toBe(true);
  });

  it('the Dockerfile image runs the same worker command', () => {
    const cmd = /^CMD (\[.*\])$/m.exec(read('deploy/Dockerfile'))![1]!;
    expectWorkerCommand(JSON.parse(cmd) as string[]);
    expectDynoSettings((name) => new RegExp(`^ENV ${name}="(.*)"$`, 'm').exec(read('deploy/Dockerfile'))?.[1]);
  });
});
