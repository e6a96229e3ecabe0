import { randomBytes } from 'node:crypto';

/**
 * Ids are a short type prefix, then 10 characters of milliseconds and 16 random characters,
 * all in lower-case Crockford base32. Lower case keeps an id usable inside the local part of
 * a return-path address (local parts may be compared case-sensitively, RFC 5321 section
 * 2.4); the time prefix makes ids of one type sort in creation order.
 */
const ALPHABET = '0123456789abcdefghjkmnpqrstvwxyz';
const TIME_CHARS = 10;
const RANDOM_CHARS = 16;

export type IdPrefix = 'em' | 'ev' | 'at' | 'wh' | 'req' | 'rp' | 'dl';

let lastTime = -1;
let lastRandom = '';

/**
 * Ids made by one process sort in the order they were made, also within one millisecond:
 * the random part is then the previous one plus one (an email's events, made together,
 * must read back in order).
 */
export function newId(prefix: IdPrefix, now: number = Date.now()): string {
  if (now <= lastTime) {
    lastRandom = increment(lastRandom);
  } else {
    lastTime = now;
    lastRandom = encodeRandom();
  }
  return `${prefix}_${encodeTime(lastTime)}${lastRandom}`;
}

function increment(random: string): string {
  const digits = [...random];
  for (let i = digits.length - 1; i >= 0; i--) {
    const value = ALPHABET.indexOf(digits[i] as string);
    if (value < 31) {
      digits[i] = ALPHABET[value + 1] as string;
      return digits.join('');
    }
    digits[i] = '0';
  }
  return encodeRandom();
}

export function isId(prefix: IdPrefix, value: string): boolean {
  const pattern = new RegExp(`^${prefix}_[${ALPHABET}]{${TIME_CHARS + RANDOM_CHARS}}$`);
  return pattern.test(value);
}

/** The smallest id of this type that could have been made at `time`: a bound for ranges. */
export function idFloor(prefix: IdPrefix, time: number): string {
  return `${prefix}_${encodeTime(time)}${'0'.repeat(RANDOM_CHARS)}`;
}

/** The largest id of this type that could have been made at `time`. */
export function idCeiling(prefix: IdPrefix, time: number): string {
  return `${prefix}_${encodeTime(time)}${'z'.repeat(RANDOM_CHARS)}`;
}

export function idTime(id: string): number {
  const encoded = id.slice(id.indexOf('_') + 1, id.indexOf('_') + 1 + TIME_CHARS);
  let time = 0;
  for (const char of encoded) time = time * 32 + ALPHABET.indexOf(char);
  return time;
}

function encodeTime(time: number): string {
  let out = '';
  let rest = Math.max(0, Math.floor(time));
  for (let i = 0; i < TIME_CHARS; i++) {
    out = ALPHABET[rest % 32] + out;
    rest = Math.floor(rest / 32);
  }
  return out;
}

function encodeRandom(): string {
  const bytes = randomBytes(RANDOM_CHARS);
  let out = '';
  for (const byte of bytes) out += ALPHABET[byte % 32];
  return out;
}
