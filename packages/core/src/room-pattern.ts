/**
 * Room patterns: their grammar, how specific each is, and how one matches a room name. Internal to core; the public
 * surface is `compileRoomPolicies` (room-policy.ts).
 *
 * A room name is made of segments separated by `:`. A pattern is a sequence of segments, each one of:
 * - a literal (`lobby`, `tenant`), matched exactly: code unit for code unit, no case folding, no Unicode
 *   normalisation, no trimming;
 * - a binding `{claim}`, a whole segment, that matches any one segment structurally and then admits only a context
 *   whose claim (`{sub}`: its subject) equals that segment exactly;
 * - a trailing wildcard, only at the very end: `prefix*` matches the rest of the name from `prefix` on (zero or
 *   more characters, separators included: `staff-*` covers `staff-`, `staff-a` and `staff-a:b`); a bare `*` after a
 *   separator covers the name before it and every name below it (`tenant:{tenant}:*` covers `tenant:acme` and
 *   `tenant:acme:x:y`, as MQTT's `sport/#` covers `sport`); `*` alone covers every name.
 *
 * No regular expressions come from configuration: matching is a linear walk that allocates nothing.
 */

/** Separates the segments of a room name. */
export const ROOM_SEPARATOR = ':';
const COLON = 0x3a;

/** Segment kinds, in the order of their specificity at one position (lower wins). */
export const LITERAL = 1;
export const BOUND = 2;
export const WILDCARD = 3;
/** Rank of "the pattern has ended" at a position: a pattern without a wildcard is more specific than one with. */
const END = 0;

export interface PatternSegment {
  readonly kind: typeof LITERAL | typeof BOUND | typeof WILDCARD;
  /** The literal, the claim name, or the wildcard's prefix (possibly empty). */
  readonly text: string;
}

/** Result of {@link matchRoom}. */
export const NO_MATCH = 0;
/** The pattern covers the room and every bound segment equals the context's claim. */
export const MATCH = 1;
/** The pattern covers the room, but a bound segment differs from the context's claim (or it has no usable claim). */
export const MATCH_UNBOUND = 2;
export type MatchResult = typeof NO_MATCH | typeof MATCH | typeof MATCH_UNBOUND;

/** The subject and claims a binding reads. */
export interface BindingSource {
  readonly subject: string;
  readonly claims: Readonly<Record<string, unknown>>;
}

/** Claim names that can only be a mistake or an attack: they name prototype machinery, not claims. */
const RESERVED_CLAIM_NAMES = new Set(['__proto__', 'constructor', 'prototype']);
/** Claim names: plain JWT claim names, including collision-resistant ones (`https://example.com/tenant`). */
const CLAIM_NAME = /^[A-Za-z0-9_$.:/@+~-]{1,128}$/;
/** Control and invisible format characters (zero-width, bidi overrides): never meant in a pattern. */
const INVISIBLE = /[\p{Cc}\p{Cf}]/u;

/**
 * Parses a pattern into its segments. Throws an `Error` whose message says what is wrong (the caller adds the
 * option's name and the key).
 */
export function parseRoomPattern(source: string): readonly PatternSegment[] {
  if (source.length === 0) throw new Error('a room pattern must not be empty');
  if (source.trim() !== source) throw new Error('a room pattern must not start or end with whitespace');
  if (INVISIBLE.test(source)) throw new Error('a room pattern must not contain control or invisible characters');
  const segments: PatternSegment[] = [];
  const length = source.length;
  let i = 0;
  for (;;) {
    if (source.charCodeAt(i) === 0x7b /* { */) {
      const close = source.indexOf('}', i + 1);
      if (close === -1) throw new Error('unclosed "{" in a room pattern');
      const claim = source.slice(i + 1, close);
      if (claim.length === 0) throw new Error('an empty claim name "{}" in a room pattern');
      if (!CLAIM_NAME.test(claim)) {
        throw new Error(`claim name ${JSON.stringify(claim)} must be 1-128 characters of A-Z a-z 0-9 _ $ . : / @ + ~ -`);
      }
      if (RESERVED_CLAIM_NAMES.has(claim)) throw new Error(`${JSON.stringify(claim)} is not a claim name`);
      i = close + 1;
      if (i < length && source.charCodeAt(i) !== COLON) {
        throw new Error('a binding "{claim}" must be a whole segment (between separators)');
      }
      segments.push({ kind: BOUND, text: claim });
    } else {
      let end = source.indexOf(ROOM_SEPARATOR, i);
      if (end === -1) end = length;
      const text = source.slice(i, end);
      if (text.length === 0) throw new Error('a room pattern must not have an empty segment');
      if (text.includes('{') || text.includes('}')) {
        throw new Error('"{" and "}" may only enclose a whole segment "{claim}"');
      }
      const star = text.indexOf('*');
      if (star !== -1) {
        if (star !== text.length - 1 || end !== length) throw new Error('"*" may only end a room pattern');
        segments.push({ kind: WILDCARD, text: text.slice(0, -1) });
      } else {
        segments.push({ kind: LITERAL, text });
      }
      i = end;
    }
    if (i === length) break;
    i++; // the separator
    if (i === length) throw new Error('a room pattern must not have an empty segment');
  }
  return segments;
}

/** True when the pattern is one exact name (only literals). */
export function isExact(segments: readonly PatternSegment[]): boolean {
  return segments.every((segment) => segment.kind === LITERAL);
}

function rank(segments: readonly PatternSegment[], index: number): number {
  return index < segments.length ? segments[index]!.kind : END;
}

/**
 * Orders patterns most specific first: position by position from the left, a pattern that has ended beats a
 * literal beats a binding beats a wildcard, and of two wildcards the longer prefix wins. Patterns that can match the
 * same room are thus ordered by where they first differ. 0 means "the same shape" (same literals and prefixes at the
 * same places, whatever the claim names): two such rules would be ambiguous, so compiling refuses them.
 */
export function compareSpecificity(a: readonly PatternSegment[], b: readonly PatternSegment[]): number {
  const positions = Math.max(a.length, b.length);
  for (let i = 0; i < positions; i++) {
    const ra = rank(a, i);
    const rb = rank(b, i);
    if (ra !== rb) return ra - rb;
    if (ra === END || ra === BOUND) continue;
    const ta = a[i]!.text;
    const tb = b[i]!.text;
    if (ra === WILDCARD && ta.length !== tb.length) return tb.length - ta.length;
    if (ta !== tb) return ta < tb ? -1 : 1;
  }
  return 0;
}

/** True when `name` is usable as a room name: a non-empty string of at most `max` UTF-16 units, no empty segment. */
export function isValidRoomName(name: unknown, max: number): name is string {
  if (typeof name !== 'string') return false;
  const length = name.length;
  if (length === 0 || length > max) return false;
  if (name.charCodeAt(0) === COLON || name.charCodeAt(length - 1) === COLON) return false;
  return !name.includes('::');
}

/** Whether the claim bound by `claim` equals `room.slice(start, end)`, without slicing. */
function boundEquals(claim: string, room: string, start: number, end: number, source: BindingSource): boolean {
  let value: unknown;
  if (claim === 'sub') value = source.subject;
  else if (Object.hasOwn(source.claims, claim)) value = source.claims[claim];
  else return false;
  // Integers are written the one way String() writes them (`42`, never `042` or `4.2e1`); nothing else converts.
  if (typeof value === 'number') {
    if (!Number.isSafeInteger(value)) return false;
    value = String(value);
  }
  if (typeof value !== 'string' || value.length !== end - start) return false;
  // The segment holds no separator, so a value containing one (`a:b`) can never be equal.
  return room.startsWith(value, start);
}

/**
 * Matches a valid room name (see {@link isValidRoomName}) against a parsed pattern, reading bound claims from
 * `source`. Linear in the name; allocates nothing (a bound integer claim is turned into its decimal string).
 */
export function matchRoom(segments: readonly PatternSegment[], room: string, source: BindingSource): MatchResult {
  const length = room.length;
  let position = 0;
  let bound = true;
  for (let s = 0; s < segments.length; s++) {
    const segment = segments[s]!;
    if (s > 0) {
      if (segment.kind === WILDCARD && segment.text.length === 0) {
        // A bare `*` after a separator covers the name so far on its own and every name below it.
        if (position !== length && room.charCodeAt(position) !== COLON) return NO_MATCH;
        return bound ? MATCH : MATCH_UNBOUND;
      }
      if (room.charCodeAt(position) !== COLON) return NO_MATCH;
      position++;
    }
    switch (segment.kind) {
      case LITERAL:
        if (!room.startsWith(segment.text, position)) return NO_MATCH;
        position += segment.text.length;
        break;
      case BOUND: {
        let end = room.indexOf(ROOM_SEPARATOR, position);
        if (end === -1) end = length;
        if (end === position) return NO_MATCH;
        if (bound && !boundEquals(segment.text, room, position, end, source)) bound = false;
        position = end;
        break;
      }
      case WILDCARD:
        if (!room.startsWith(segment.text, position)) return NO_MATCH;
        return bound ? MATCH : MATCH_UNBOUND;
    }
  }
  if (position !== length) return NO_MATCH;
  return bound ? MATCH : MATCH_UNBOUND;
}
