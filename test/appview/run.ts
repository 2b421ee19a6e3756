/**
 * npm run test:appview: installs Bluesky's reference services under test/appview/ when needed
 * (install.ts), then runs this folder's tests with vitest. Extra arguments go to vitest.
 */
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { ensureInstalled } from './install.ts';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

function run(args: string[]): number {
  return spawnSync(process.execPath, args, { cwd: ROOT, stdio: 'inherit' }).status ?? 1;
}

ensureInstalled();
// network.ts is typed against dev-env, which the project's own typecheck does not install.
if (run(['node_modules/typescript/bin/tsc', '-p', 'test/appview/tsconfig.json', '--noEmit']) !== 0) process.exit(1);
process.exit(run(['node_modules/vitest/vitest.mjs', 'run', '--config', 'test/appview/vitest.config.ts', ...process.argv.slice(2)]));
