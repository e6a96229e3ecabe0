import { describe, expect, it } from 'vitest';

import { idCeiling, idFloor, idTime, isId, newId } from '../../../shared/ids/new-id.js';

describe('newId', () => {
  it('is lower case, prefixed, and safe inside an address local part', () => {
    const id = newId('em');

    expect(isId('em', id)).toBe(true);
    expect(id).toMatch(/^em_[0-9a-z]{26}$/);
    expect(`bounces+${id}@example.com`).toMatch(/^[a-z0-9+_]+@example\.com$/);
  });

  it('sorts in creation order, also within one millisecond', () => {
    const ids = Array.from({ length: 500 }, () => newId('ev', 1_700_000_000_000));

    expect([...ids].sort()).toEqual(ids);
    expect(new Set(ids).size).toBe(ids.length);
  });

  it('encodes its time so ranges can be bounded by time', () => {
    const time = Date.parse('2030-01-01T00:00:00Z');
    const id = newId('em', time);

    expect(idTime(id)).toBe(time);
    expect(idFloor('em', time) <= id).toBe(true);
    expect(idFloor('em', time + 1) > id).toBe(true);
    expect(idCeiling('em', time) >= id).toBe(true);
    expect(idCeiling('em', time - 1) < id).toBe(true);
    expect(isId('em', idCeiling('em', time))).toBe(true);
  });
});
