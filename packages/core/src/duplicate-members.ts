import { base64url } from './jose.js';

const DECODER = new TextDecoder();

/**
 * Duplicate member names in a token's JSON. `JSON.parse` keeps the last of two equal names, other parsers the
 * first: `{"sub":"alice","sub":"admin"}` may mean alice to a gateway and admin to us. RFC 7519 §4 allows either
 * refusing such tokens or taking the last member; sockauth refuses them, so no two components can disagree on
 * what a token says (and a duplicated `alg` or `crit` in the header cannot hide from one of them).
 */

/**
 * True when some JSON object in `json` has two members with the same name (after unescaping, so `"sub"` and
 * `"s\u0075b"` are equal). Linear, iterative (no recursion, whatever the nesting), and lenient: text that is not
 * JSON is not this function's business and yields `false`.
 */
export function hasDuplicateMemberNames(json: string): boolean {
  // One entry per open container: the member names seen so far for an object, null for an array.
  const stack: (Set<string> | null)[] = [];
  let expectName = false;
  const length = json.length;
  let i = 0;
  while (i < length) {
    const c = json.charCodeAt(i);
    if (c === 0x22 /* " */) {
      let j = i + 1;
      let escaped = false;
      while (j < length) {
        const d = json.charCodeAt(j);
        if (d === 0x5c /* \ */) {
          escaped = true;
          j += 2;
          continue;
        }
        if (d === 0x22) break;
        j++;
      }
      if (j >= length) return false;
      const names = stack[stack.length - 1];
      if (expectName && names) {
        let name: string;
        if (escaped) {
          try {
            name = JSON.parse(json.slice(i, j + 1)) as string;
          } catch {
            return false;
          }
        } else {
          name = json.slice(i + 1, j);
        }
        if (names.has(name)) return true;
        names.add(name);
        expectName = false;
      }
      i = j + 1;
      continue;
    }
    switch (c) {
      case 0x7b /* { */:
        stack.push(new Set());
        expectName = true;
        break;
      case 0x5b /* [ */:
        stack.push(null);
        expectName = false;
        break;
      case 0x7d /* } */:
      case 0x5d /* ] */:
        stack.pop();
        expectName = false;
        break;
      case 0x2c /* , */:
        expectName = stack[stack.length - 1] instanceof Set;
        break;
      case 0x3a /* : */:
        expectName = false;
        break;
    }
    i++;
  }
  return false;
}

/**
 * True when the protected header or the payload of a compact JWS (`header.payload.signature`) has duplicate
 * member names. Anything that is not a three-segment token (an opaque token a custom verifier accepts) passes.
 */
export function tokenHasDuplicateMembers(token: string): boolean {
  const first = token.indexOf('.');
  const second = first === -1 ? -1 : token.indexOf('.', first + 1);
  if (second === -1 || token.indexOf('.', second + 1) !== -1) return false;
  const header = token.slice(0, first);
  if (!CLEAN_HEADERS.has(header)) {
    if (segmentHasDuplicateMembers(header)) return true;
    if (CLEAN_HEADERS.size >= MAX_CLEAN_HEADERS) CLEAN_HEADERS.clear();
    // A copy: V8 makes the slice a view of the whole token, which the set would keep alive for good (a credential
    // must not outlive its handshake in memory).
    CLEAN_HEADERS.add(header.split('').join(''));
  }
  return segmentHasDuplicateMembers(token.slice(first + 1, second));
}

/**
 * Header segments already found free of duplicates: an issuer signs every token with the same header, so the
 * same text need not be decoded and scanned again (the same text always gets the same answer). Bounded.
 */
const CLEAN_HEADERS = new Set<string>();
const MAX_CLEAN_HEADERS = 64;

function segmentHasDuplicateMembers(segment: string): boolean {
  let json: string;
  try {
    json = DECODER.decode(base64url.decode(segment));
  } catch {
    return false; // not base64url: the signature check already refused anything that matters here
  }
  return hasDuplicateMemberNames(json);
}
