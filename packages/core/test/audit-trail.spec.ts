import { AUDIT_SCHEMA_VERSION, createAuditTrail, redactToken, type AuditRecord } from '@sockauth/core';

const NOW = 1_800_000_000_000;
const base = { audit: 'sockauth', schemaVersion: AUDIT_SCHEMA_VERSION, time: NOW, socketId: 'sock-1', namespace: '/chat' } as const;
const ids = { socketId: 'sock-1', namespace: '/chat', subject: 'alice', sessionId: 's-1', tokenId: 'j-1' };

function recording() {
  const records: AuditRecord[] = [];
  const hooks = createAuditTrail((record) => records.push(record), { now: () => NOW });
  return { records, hooks };
}

describe('createAuditTrail: one record per decision', () => {
  test('handshake and recovery accepted', () => {
    const { records, hooks } = recording();
    hooks.onAuthenticated!({ ...ids, stage: 'handshake', expiresAt: NOW + 60_000 });
    hooks.onAuthenticated!({ socketId: 'sock-1', namespace: '/chat', subject: 'alice', stage: 'recovery', expiresAt: NOW + 1 });
    expect(records).toEqual([
      { ...base, event: 'handshake.accepted', subject: 'alice', sessionId: 's-1', tokenId: 'j-1', expiresAt: NOW + 60_000 },
      { ...base, event: 'recovery.accepted', subject: 'alice', expiresAt: NOW + 1 },
    ]);
  });

  test('refusals at every stage, with the refused event or room', () => {
    const { records, hooks } = recording();
    hooks.onAuthFailure!({ socketId: 'sock-1', namespace: '/chat', code: 'AUTH_INVALID', stage: 'handshake' });
    hooks.onAuthFailure!({ socketId: 'sock-1', namespace: '/chat', code: 'AUTH_EXPIRED', stage: 'recovery' });
    hooks.onAuthFailure!({ ...ids, code: 'AUTH_FORBIDDEN', stage: 'event', event: 'admin:kick' });
    hooks.onAuthFailure!({ ...ids, code: 'AUTH_IDENTITY_MISMATCH', stage: 'reauth' });
    hooks.onAuthFailure!({ ...ids, code: 'AUTH_FORBIDDEN', stage: 'join', room: 'staff-ops' });
    const who = { subject: 'alice', sessionId: 's-1', tokenId: 'j-1' };
    expect(records).toEqual([
      { ...base, event: 'handshake.refused', code: 'AUTH_INVALID' },
      { ...base, event: 'recovery.refused', code: 'AUTH_EXPIRED' },
      { ...base, ...who, event: 'event.refused', code: 'AUTH_FORBIDDEN', eventName: 'admin:kick' },
      { ...base, ...who, event: 'reauth.refused', code: 'AUTH_IDENTITY_MISMATCH' },
      { ...base, ...who, event: 'join.refused', code: 'AUTH_FORBIDDEN', room: 'staff-ops' },
    ]);
  });

  test('re-auth accepted, room left, expiry and revocation cuts, release', () => {
    const { records, hooks } = recording();
    hooks.onReauth!({ ...ids, tokenId: 'j-2', version: 2, expiresAt: NOW + 120_000 });
    hooks.onRoomLeft!({ ...ids, room: 'staff-ops', code: 'AUTH_FORBIDDEN' });
    hooks.onExpire!(ids);
    hooks.onRevoke!({ ...ids, kind: 'session', revokedAt: NOW - 5 });
    hooks.onRelease!({ ...ids, reason: 'revoked' });
    const who = { subject: 'alice', sessionId: 's-1', tokenId: 'j-1' };
    expect(records).toEqual([
      { ...base, ...who, tokenId: 'j-2', event: 'reauth.accepted', contextVersion: 2, expiresAt: NOW + 120_000 },
      { ...base, ...who, event: 'room.left', room: 'staff-ops', code: 'AUTH_FORBIDDEN' },
      { ...base, ...who, event: 'cut.expired', code: 'AUTH_EXPIRED' },
      { ...base, ...who, event: 'cut.revoked', code: 'AUTH_REVOKED', revocation: 'session', revokedAt: NOW - 5 },
      { ...base, ...who, event: 'released', reason: 'revoked' },
    ]);
  });

  test('permissions lost by a re-auth or a re-evaluation: the reason, the version and the permissions, bounded', () => {
    const { records, hooks } = recording();
    hooks.onDowngrade!({ ...ids, tokenId: 'j-2', reason: 'reauth', lost: ['admin:*', 'chat:write'], version: 2 });
    hooks.onDowngrade!({ ...ids, reason: 'reevaluate', lost: ['x'.repeat(300), ...Array.from({ length: 100 }, (_, i) => `p:${i}`)], version: 2 });
    const who = { subject: 'alice', sessionId: 's-1', tokenId: 'j-1' };
    expect(records[0]).toEqual({ ...base, ...who, tokenId: 'j-2', event: 'permissions.lost', reason: 'reauth', contextVersion: 2, permissionsLost: ['admin:*', 'chat:write'] });
    expect(records[1]).toMatchObject({ ...base, ...who, event: 'permissions.lost', reason: 'reevaluate', contextVersion: 2 });
    expect(records[1]!.permissionsLost).toHaveLength(64);
    expect(records[1]!.permissionsLost![0]).toBe(`${'x'.repeat(256)}…`);
  });

  test('copies only the documented fields: whatever else a payload carries never reaches the sink', () => {
    const { records, hooks } = recording();
    const token = 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJhbGljZSJ9.c2lnbmF0dXJlLXNpZ25hdHVyZS1zaWduYXR1cmU';
    const payload = { ...ids, stage: 'handshake' as const, expiresAt: NOW, token, claims: { sub: 'alice', email: 'a@example.com' }, headers: { cookie: 'sid=secret' } };
    hooks.onAuthenticated!(payload);
    expect(Object.keys(records[0]!).sort()).toEqual(['audit', 'event', 'expiresAt', 'namespace', 'schemaVersion', 'sessionId', 'socketId', 'subject', 'time', 'tokenId']);
    expect(JSON.stringify(records)).not.toMatch(/eyJ|secret|example\.com/);
  });

  test('a token-shaped, overlong or control-character event or room name is fingerprinted, an ordinary one kept', () => {
    const { records, hooks } = recording();
    const jwt = 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJhbGljZSJ9.c2lnbmF0dXJlLXNpZ25hdHVyZS1zaWduYXR1cmU';
    const names = [
      jwt,
      `chat:${jwt.slice(0, 100)}…`, // what an adapter's 100-character truncation leaves
      'c2lnbmF0dXJlLXNpZ25hdHVyZS1zaWduYXR1cmU', // a bare signature segment
      'x'.repeat(101),
      'line\nbreak',
      'chat:send',
      'staff-engineering-team-2024',
      'café',
    ];
    for (const name of names) hooks.onAuthFailure!({ ...ids, code: 'AUTH_FORBIDDEN', stage: 'event', event: name });
    for (const name of names) hooks.onRoomLeft!({ ...ids, room: name, code: 'AUTH_FORBIDDEN' });
    const expected = names.map((name, i) => (i < 5 ? redactToken(name) : name));
    expect(records.slice(0, names.length).map((r) => r.eventName)).toEqual(expected);
    expect(records.slice(names.length).map((r) => r.room)).toEqual(expected);
  });

  test('identifiers are bounded', () => {
    const { records, hooks } = recording();
    hooks.onAuthenticated!({ ...ids, subject: 'a'.repeat(1_000), stage: 'handshake', expiresAt: NOW });
    expect(records[0]!.subject).toBe(`${'a'.repeat(256)}…`);
  });
});

describe('createAuditTrail: sinks', () => {
  test('a logger sink gets (record, message) at the chosen level, without a second time field', () => {
    const calls: { level: string; obj: object; msg?: string }[] = [];
    const logger = {
      debug: (obj: object, msg?: string) => calls.push({ level: 'debug', obj, msg }),
      info: (obj: object, msg?: string) => calls.push({ level: 'info', obj, msg }),
      warn: (obj: object, msg?: string) => calls.push({ level: 'warn', obj, msg }),
      error: (obj: object, msg?: string) => calls.push({ level: 'error', obj, msg }),
    };
    createAuditTrail(logger).onExpire!(ids);
    createAuditTrail(logger, { level: 'warn' }).onRelease!({ ...ids, reason: 'disconnect' });
    expect(calls).toEqual([
      { level: 'info', obj: expect.not.objectContaining({ time: expect.anything() }), msg: 'sockauth audit: cut.expired' },
      { level: 'warn', obj: expect.objectContaining({ event: 'released', reason: 'disconnect' }), msg: 'sockauth audit: released' },
    ]);
  });

  test('a logger method is called on its logger (pino methods need their this)', () => {
    const seen: unknown[] = [];
    const logger = {
      records: seen,
      info(this: { records: unknown[] }, obj: object) {
        this.records.push(obj);
      },
    };
    createAuditTrail(logger).onExpire!(ids);
    expect(seen).toHaveLength(1);
  });

  test('a sink that throws never throws into the adapter', () => {
    const hooks = createAuditTrail(() => {
      throw new Error('disk full');
    });
    expect(() => hooks.onExpire!(ids)).not.toThrow();
  });
});

describe('createAuditTrail: misconfiguration is a TypeError at creation', () => {
  test.each([
    ['no sink', undefined],
    ['null', null],
    ['a string', 'stderr'],
    ['an object without info', { log: () => undefined }],
  ])('sink: %s', (_name, sink) => {
    expect(() => createAuditTrail(sink as never)).toThrow(TypeError);
  });

  test('the level must exist on the logger', () => {
    expect(() => createAuditTrail({ info: () => undefined }, { level: 'warn' })).toThrow(/"sink"/);
    expect(() => createAuditTrail({ info: () => undefined }, { level: 'trace' as never })).toThrow(/"level"/);
  });

  test('unknown options are refused with the nearest known one, and options must be a plain object', () => {
    expect(() => createAuditTrail(() => undefined, { levl: 'info' } as never)).toThrow(/"levl".*"level"/);
    expect(() => createAuditTrail(() => undefined, [] as never)).toThrow(TypeError);
    expect(() => createAuditTrail(() => undefined, { now: 5 } as never)).toThrow(/"now"/);
  });
});
