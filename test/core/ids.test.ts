import { describe, expect, it } from 'vitest';
import { compareIds, normaliseNumericId, normaliseOpaqueId, MAX_NUMERIC_ID } from '../../src/core/ids.ts';

describe('numeric IDs', () => {
  it('orders adjacent IDs past 2^53 that a double would merge', () => {
    const a = '9007199254740993';
    const b = '9007199254740992';
    expect(Number(a)).toBe(Number(b)); // what a JS number would do
    expect(compareIds(a, b, 'numeric')).toBe(1);
    expect(compareIds('1242523027058769920', '1242523027058769921', 'numeric')).toBe(-1);
    expect(compareIds('99', '100', 'numeric')).toBe(-1); // not string order
  });

  it('normalises and reports whitespace, plus signs and leading zeros', () => {
    expect(normaliseNumericId(' 0042 ')).toEqual({ ok: true, id: '42', corrections: ['whitespace', 'leading_zeros'] });
    expect(normaliseNumericId('+17')).toEqual({ ok: true, id: '17', corrections: ['plus_sign'] });
    expect(normaliseNumericId('0')).toEqual({ ok: true, id: '0', corrections: [] });
    expect(normaliseNumericId('1242523027058769920')).toEqual({ ok: true, id: '1242523027058769920', corrections: [] });
  });

  it('rejects empty, malformed, negative and over-2^63 IDs with a reason', () => {
    expect(normaliseNumericId('')).toMatchObject({ ok: false, rejection: 'empty' });
    expect(normaliseNumericId('12a')).toMatchObject({ ok: false, rejection: 'malformed' });
    expect(normaliseNumericId('1.5e18')).toMatchObject({ ok: false, rejection: 'malformed' });
    expect(normaliseNumericId('-5')).toMatchObject({ ok: false, rejection: 'negative' });
    expect(normaliseNumericId(MAX_NUMERIC_ID.toString())).toMatchObject({ ok: true });
    expect(normaliseNumericId((MAX_NUMERIC_ID + 1n).toString())).toMatchObject({ ok: false, rejection: 'too_large' });
  });
});

describe('opaque IDs', () => {
  it('keeps DIDs as given and orders them as strings', () => {
    expect(normaliseOpaqueId(' did:plc:abc ')).toEqual({ ok: true, id: 'did:plc:abc', corrections: ['whitespace'] });
    expect(normaliseOpaqueId('did:plc:a b')).toMatchObject({ ok: false, rejection: 'malformed' });
    expect(compareIds('did:plc:b', 'did:plc:ab', 'opaque')).toBe(1);
  });
});
