/**
 * Values that must never leave the process: tokens, keys, passwords, a fleet's secret. The settings
 * loader keeps each secret setting's value here, and logs, rows and printed errors pass through
 * `redact`. pino's redact paths catch secrets under field names we know; this catches them anywhere
 * else, such as in a message a client library or a server built from a URL or a header.
 */
const SECRETS = new Set<string>();

/** Shorter values would match ordinary text. */
const SHORTEST = 8;

/** Keeps a secret value: a string, a list of them, a URL's password, or a service account's private key, line by line. */
export function keepSecret(value: unknown): void {
  if (Array.isArray(value)) return value.forEach(keepSecret);
  if (typeof value === 'object' && value !== null && 'private_key' in value) return keepSecret(String(value.private_key).split('\n'));
  if (typeof value !== 'string') return;
  const text = value.trim();
  if (text.length < SHORTEST) return;
  SECRETS.add(text);
  // As it appears inside a JSON log line.
  SECRETS.add(JSON.stringify(text).slice(1, -1));
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(text)) {
    const url = URL.parse(text);
    if (url?.password) keepSecret([url.password, decodeURIComponent(url.password)]);
  }
}

/** `text` with every kept secret replaced by [redacted]. */
export function redact(text: string): string {
  let out = text;
  for (const secret of SECRETS) if (out.includes(secret)) out = out.replaceAll(secret, '[redacted]');
  return out;
}
