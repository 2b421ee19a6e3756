import type { Command } from 'commander';
import { flagOf, SETTINGS, type Setting, type SettingKey } from '../config/settings.ts';

/** Registers the flags of `keys` on a command, from the one settings table. */
export function addSettingFlags(command: Command, keys: readonly SettingKey[]): Command {
  for (const key of keys) {
    const s = SETTINGS[key] as Setting;
    const def = s.default === undefined ? '' : ` (default ${s.default})`;
    command.option(`${flagOf(s)} ${s.arg}`, `${s.description}; env ${s.env}${def}`);
  }
  return command;
}
