import { pino, type Logger } from 'pino';
import { redact } from './secrets.ts';

/**
 * Paths redacted from every log line. Credentials never reach a log through these names; the
 * settings loader also replaces secret values before they are logged.
 */
export const REDACT_PATHS = [
  'token',
  'bearerToken',
  'credentials',
  '*.token',
  '*.tokens',
  '*.bearerToken',
  '*.credentials',
  '*.authorization',
  'headers.authorization',
  '*.headers.authorization',
  'settings.twitterBearerToken',
  'settings.twitterBearerTokens',
  'settings.googleCredentials',
  // A BigQuery sink or users location carries its connection (with the key, when GOOGLE_CREDENTIALS
  // or GOOGLE_APPLICATION_CREDENTIALS gave one).
  '*.connection.credentials',
  '*.*.connection.credentials',
  'private_key',
  '*.private_key',
];

/** pino JSON on stderr, so stdout carries only command output (tables, JSON, CSV). */
export function createLogger(level: string, destination: NodeJS.WritableStream | number = 2): Logger {
  const dest = typeof destination === 'number' ? pino.destination({ dest: destination, sync: true }) : destination;
  return pino({ level, redact: { paths: REDACT_PATHS, censor: '[redacted]' }, hooks: { streamWrite: redact }, base: { pid: process.pid } }, dest);
}
