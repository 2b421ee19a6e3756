import { afterAll } from 'vitest';
import { startSim, type RunningSim, type SimOptions } from '../../src/sim/server.ts';

/** Starts a sim on a free loopback port for this test file and stops it afterwards. */
export async function useSim(options: SimOptions): Promise<RunningSim> {
  const sim = await startSim({ port: 0, ...options });
  afterAll(() => sim.close());
  return sim;
}
