/**
 * The oldest Node.js friendfleet runs on (package.json `engines`): undici 7 needs 20.18, and the CLI uses
 * what 22.19 added. Checked by main.ts before any other module loads, since on an older Node the first
 * import already fails with a stack trace that names undici, not the version.
 */
export const MIN_NODE = '22.19.0';

/** A one-line refusal when `version` (process.versions.node) is older than MIN_NODE, else undefined. */
export function unsupportedNode(version: string): string | undefined {
  const [major = 0, minor = 0] = version.split('.').map(Number);
  const [minMajor = 0, minMinor = 0] = MIN_NODE.split('.').map(Number);
  if (major > minMajor || (major === minMajor && minor >= minMinor)) return undefined;
  return `friendfleet needs Node.js ${MIN_NODE.replace(/\.0$/, '')} or newer (this is ${version}); install Node 24 LTS (https://nodejs.org, or nvm install 24)`;
}
