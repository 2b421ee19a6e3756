import type { Command } from 'commander';
import { flagOf, SETTINGS, type Setting, type SettingKey } from '../config/settings.ts';

/**
 * Registers the flags of `keys` on a command, from the one settings table. `read` marks a read-only
 * command (monitor, plan, export): its SINK is the warehouse it reads, not one it writes to.
 */
export function addSettingFlags(command: Command, keys: readonly SettingKey[], options: { read?: boolean } = {}): Command {
  for (const key of keys) {
    const s = SETTINGS[key] as Setting;
    const def = s.default === undefined ? '' : ` (default ${s.default})`;
    const description = key === 'sink' && options.read ? 'warehouse to read (never created: a missing one is an error)' : s.description;
    command.option(`${flagOf(s)} ${s.arg}`, `${description}; env ${s.env}${def}`);
  }
  return command;
}
