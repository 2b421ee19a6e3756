/**
 * The network process: Bluesky's reference PLC directory, PDS and AppView (`@atproto/dev-env`, installed
 * under test/appview/ by install.ts) in this one process, seeded as the parent asks over IPC.
 *
 * Parent → child: `{ plan }` (a SeedPlan), later `{ close: true }`.
 * Child → parent: `{ ready: SeededNetwork }` once the AppView has indexed everything, or `{ error }`.
 * Needs DB_POSTGRES_URL and REDIS_HOST (dev-env reads them) and a TMPDIR the parent removes after.
 */
import { TestNetwork } from '@atproto/dev-env';
import { UNKNOWN_DID, handleOf, hiddenPositions, type PlannedUser, type SeedPlan, type SeededAccount, type SeededNetwork } from './seed-plan.ts';

/** applyWrites takes at most 200 writes a call (the PDS's limit). */
const WRITES_PER_CALL = 200;
/** Follow records are dated a second apart from here, so the AppView's order (by date) is the order written. */
const FIRST_FOLLOW_AT = Date.parse('2024-01-01T00:00:00Z');

interface Created {
  name: string;
  did: string;
  handle: string;
  jwt: string;
}

async function inParallel<T, R>(items: readonly T[], width: number, fn: (item: T, i: number) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i]!, i);
    }
  };
  await Promise.all(Array.from({ length: Math.min(width, items.length) }, worker));
  return out;
}

const started = performance.now();
/** One line per phase in network.log: wall and CPU seconds since the process started. */
function phase(what: string): void {
  const cpu = process.cpuUsage();
  const s = (us: number) => (us / 1e6).toFixed(1);
  console.log(`[network] ${what}: ${((performance.now() - started) / 1000).toFixed(1)} s wall, ${s(cpu.user + cpu.system)} s CPU`);
}

async function seed(network: TestNetwork, plan: SeedPlan): Promise<SeededNetwork> {
  phase('services started');
  const agent = network.pds.getAgent();
  const admin = { headers: network.pds.adminAuthHeaders(), encoding: 'application/json' } as const;
  const bearer = (a: Created) => ({ headers: { authorization: `Bearer ${a.jwt}` }, encoding: 'application/json' }) as const;
  const create = async (name: string): Promise<Created> => {
    const handle = handleOf(name);
    // No password: the PDS skips its scrypt hash; the access token is all the seed uses.
    const { data } = await agent.com.atproto.server.createAccount({ handle, email: `${name}@ff.test` });
    return { name, did: data.did, handle, jwt: data.accessJwt };
  };

  const pool = await inParallel(
    Array.from({ length: plan.pool }, (_, i) => `p${String(i).padStart(4, '0')}`),
    4,
    create,
  );
  phase(`${pool.length} pool accounts created`);
  const planned = plan.users.filter((u) => u.fate !== 'unknown');
  const created = new Map((await inParallel(planned, 4, (u) => create(u.name))).map((c, i) => [planned[i]!.name, c]));
  const didOf = (u: PlannedUser) => (u.fate === 'unknown' ? UNKNOWN_DID : created.get(u.name)!.did);
  const hidden = plan.users.filter((u) => u.fate !== 'active').map(didOf);

  const users: SeededAccount[] = plan.users.map((u) => {
    const follows = pool.slice(0, u.followsPool).map((p) => p.did);
    if (u.followsHidden) hiddenPositions(follows.length, hidden.length).forEach((at, k) => follows.splice(at + k, 0, hidden[k]!));
    return { name: u.name, did: didOf(u), handle: u.fate === 'unknown' ? 'handle.invalid' : handleOf(u.name), fate: u.fate, follows };
  });

  for (const user of users) {
    const account = created.get(user.name);
    if (!account) continue;
    for (let from = 0; from < user.follows.length; from += WRITES_PER_CALL) {
      const writes = user.follows.slice(from, from + WRITES_PER_CALL).map((subject, i) => ({
        $type: 'com.atproto.repo.applyWrites#create' as const,
        collection: 'app.bsky.graph.follow',
        value: { $type: 'app.bsky.graph.follow', subject, createdAt: new Date(FIRST_FOLLOW_AT + (from + i) * 1000).toISOString() },
      }));
      await agent.com.atproto.repo.applyWrites({ repo: account.did, writes }, bearer(account));
    }
  }
  phase('follow records written');
  await network.processAll();
  phase('follows indexed by the AppView');

  for (const user of users) {
    const account = created.get(user.name);
    if (!account) continue;
    const subject = { $type: 'com.atproto.admin.defs#repoRef', did: account.did };
    if (user.fate === 'deactivated') await agent.com.atproto.server.deactivateAccount({}, bearer(account));
    if (user.fate === 'takendown') await network.bsky.ctx.dataplane.takedownActor({ did: account.did, ref: 'ff-takedown' });
    if (user.fate === 'takendown-pds') await agent.com.atproto.admin.updateSubjectStatus({ subject, takedown: { applied: true, ref: 'ff-takedown' } }, admin);
    if (user.fate === 'deleted') await agent.com.atproto.admin.deleteAccount({ did: account.did }, admin);
  }
  await network.processAll();
  phase('fates applied and indexed');
  return {
    plcUrl: network.plc.url,
    pdsUrl: network.pds.url,
    appviewUrl: network.bsky.url,
    users,
    pool: pool.map((p) => ({ name: p.name, did: p.did, handle: p.handle, fate: 'active', follows: [] })),
  };
}

let network: TestNetwork | undefined;
let closing: Promise<void> | undefined;

const close = () =>
  (closing ??= (async () => {
    try {
      await network?.close();
    } finally {
      process.exit(0);
    }
  })());

// The parent gone (a killed test worker) takes the network with it.
process.on('disconnect', () => void close());
process.on('message', (message: { plan?: SeedPlan; close?: boolean }) => {
  if (message.plan) {
    const plan = message.plan;
    void (async () => {
      try {
        network = await TestNetwork.create({ dbPostgresSchema: 'ff' });
        process.send!({ ready: await seed(network, plan) });
      } catch (error) {
        process.send!({ error: error instanceof Error ? (error.stack ?? error.message) : String(error) });
      }
    })();
  }
  if (message.close) void close();
});
