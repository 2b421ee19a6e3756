import { hash3 } from '../hash.ts';
import { InternalError } from '../../core/errors.ts';

/**
 * Page cursors of the JSON protocols: the raw list position in the high 32 bits and a check hash of
 * (user, position, protocol salt) in the low 32, written in base32, so that a cursor replayed against
 * another user or another protocol is refused, as real cursors are opaque and bound to their query.
 */
export interface CursorCodec {
  encode(seed: number, index: number, position: number): string;
  decode(seed: number, index: number, cursor: string): number | undefined;
}

export function cursorCodec(alphabet: string, salt: number): CursorCodec {
  if (alphabet.length !== 32) throw new InternalError('a base32 alphabet has 32 characters');
  const digits = new Map([...alphabet].map((c, i) => [c, i]));
  const check = (seed: number, index: number, position: number) => hash3(seed ^ salt, index, position);
  return {
    encode(seed, index, position) {
      const lo = check(seed, index, position);
      let out = '';
      // 13 characters of 5 bits cover the 64 bits (position << 32 | check), most significant first.
      for (let k = 12; k >= 0; k--) {
        const shift = k * 5;
        const v = shift >= 32 ? Math.floor(position / 2 ** (shift - 32)) % 32 : shift + 5 <= 32 ? (lo >>> shift) & 31 : ((lo >>> shift) | (position << (32 - shift))) & 31;
        out += alphabet[v];
      }
      return out;
    },
    decode(seed, index, cursor) {
      if (cursor.length !== 13) return undefined;
      let value = 0n;
      for (const c of cursor) {
        const v = digits.get(c);
        if (v === undefined) return undefined;
        value = (value << 5n) | BigInt(v);
      }
      const position = Number(value >> 32n);
      if (position > 0xffffffff) return undefined;
      return Number(value & 0xffffffffn) === check(seed, index, position) ? position : undefined;
    },
  };
}
