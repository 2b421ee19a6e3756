import { CommanderError } from 'commander';
import { ConfigError, FriendfleetError, ListenError, UsersInputError } from '../core/errors.ts';
import { redact } from '../core/secrets.ts';
import { buildProgram } from './program.ts';

/** Exit codes: 0 done, 1 a run failed, 2 bad configuration or input (nothing was done). */
export const EXIT_FAILED = 1;
export const EXIT_BAD_INPUT = 2;

/**
 * Runs the command `argv` names. `onCommandStart` is called as its action begins (main.ts stops
 * answering signals for it then: from there on a command handles them, or they end it as usual).
 */
export async function main(argv: string[], onCommandStart?: () => void): Promise<void> {
  try {
    const program = buildProgram();
    if (onCommandStart) program.hook('preAction', onCommandStart);
    await program.parseAsync(argv);
  } catch (error) {
    if (error instanceof CommanderError) {
      process.exitCode = error.exitCode === 0 ? 0 : EXIT_BAD_INPUT;
      return;
    }
    if (error instanceof ConfigError || error instanceof UsersInputError || error instanceof ListenError) {
      process.stderr.write(`friendfleet: ${redact(error.message)}\n`);
      process.exitCode = EXIT_BAD_INPUT;
      return;
    }
    const message = error instanceof FriendfleetError ? `${error.code}: ${error.message}` : error instanceof Error ? (error.stack ?? error.message) : String(error);
    process.stderr.write(`friendfleet: ${redact(message)}\n`);
    process.exitCode = EXIT_FAILED;
  }
}
