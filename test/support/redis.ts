import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { once } from 'node:events';
import { afterAll } from 'vitest';

/** A loopback port free right now (for servers that cannot listen on port 0 themselves). */
export async function freePort(): Promise<number> {
  const server = createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const port = (server.address() as { port: number }).port;
  server.close();
  await once(server, 'close');
  return port;
}

export interface RunningRedis {
  readonly url: string;
  /** Kills the server (SIGKILL), as a crash would. */
  kill(): Promise<void>;
  /** Starts it again on the same port, empty. */
  start(): Promise<void>;
}

/** Runs "$0" "$@" in the background, says its pid, and kills it when stdin reaches its end. */
const STOP_WITH_PARENT = 'exec 3<&0; "$0" "$@" & server=$!; echo "server-pid $server"; (cat <&3 > /dev/null; kill -9 $server 2> /dev/null) & wait $server';

/**
 * A real redis-server (Debian's package; .ci/run installs it) on a free loopback port, without
 * persistence, for this test file.
 */
export async function useRedis(): Promise<RunningRedis> {
  const port = await freePort();
  let child: ChildProcess | undefined;
  let serverPid: number | undefined;
  const start = async () => {
    // Through a shell that stops the server when this process's end of its stdin closes: a test process
    // that vitest kills would otherwise leave the server running, holding CI's output open.
    child = spawn('sh', ['-c', STOP_WITH_PARENT, 'redis-server', '--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], {
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    serverPid = undefined;
    let out = '';
    await new Promise<void>((resolve, reject) => {
      child!.once('error', reject);
      child!.once('exit', (code) => reject(new Error(code === 127 ? 'redis-server is missing: apt-get install -y redis-server (.ci/run installs it)' : `redis-server exited with ${code}: ${out}`)));
      child!.stderr!.on('data', (d: Buffer) => (out += d.toString()));
      child!.stdout!.on('data', (d: Buffer) => {
        out += d.toString();
        serverPid ??= Number(/^server-pid (\d+)$/m.exec(out)?.[1]) || undefined;
        if (serverPid && out.includes('Ready to accept connections')) resolve();
      });
    });
  };
  const kill = async () => {
    if (!child || child.exitCode !== null) return;
    const exited = once(child, 'exit');
    process.kill(serverPid!, 'SIGKILL');
    await exited;
    child.stdin!.end();
  };
  await start();
  afterAll(kill);
  return { url: `redis://127.0.0.1:${port}`, kill, start };
}
