import { startWorker, type Worker } from './fork.js';

/** A server worker and a client worker started together; `close()` stops both. */
export interface Session {
  readonly server: Worker;
  readonly client: Worker;
  readonly url: string;
  close(): Promise<void>;
}

/**
 * Starts a server worker (`socketio-server <mode>` by default, or `worker`) with `env`, and a client worker;
 * resolves once both are ready.
 */
export async function startSession(mode: string, env: Record<string, string> = {}, worker = 'socketio-server'): Promise<Session> {
  const server = startWorker(worker, [mode], env);
  const client = startWorker('socketio-client');
  const [{ port }] = await Promise.all([server.next<{ port: number }>('ready'), client.next('ready')]);
  return {
    server,
    client,
    url: `http://127.0.0.1:${port}`,
    async close() {
      await Promise.all([server.stop(), client.stop()]);
    },
  };
}

/** Opens one socket per token (times each namespace), `concurrency` in flight; fails on any refusal. */
export async function openSockets(session: Session, tokens: string[], namespaces: string[] = [''], concurrency = 64): Promise<void> {
  session.client.send({ type: 'open', url: session.url, tokens, concurrency, namespaces });
  const opened = await session.client.next<{ count: number; errors: number }>('opened', 600_000);
  if (opened.errors > 0) throw new Error(`${opened.errors} sockets were refused while opening ${opened.count + opened.errors}`);
}

/** The server's heap and socket counts after a full GC. */
export async function serverStats(session: Session): Promise<{ heapUsed: number; rss: number; sockets: number; authenticated: number }> {
  session.server.send({ type: 'stats' });
  return session.server.next('stats');
}
