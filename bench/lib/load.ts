/** The load generator: a bounded number of items, a fixed number of workers, a hard deadline. */
import { Agent, request } from 'node:http';

export interface LoadResult {
  /** Items started (and finished: a worker finishes its item before it looks at the clock). */
  done: number;
  elapsedMs: number;
  stoppedByTime: boolean;
  errors: number;
  firstError: string | null;
}

export async function runLoad<T>(
  items: readonly T[],
  concurrency: number,
  timeLimitMs: number,
  fn: (item: T, i: number) => Promise<void>,
): Promise<LoadResult> {
  const t0 = performance.now();
  const deadline = t0 + timeLimitMs;
  let next = 0;
  let errors = 0;
  let firstError: string | null = null;
  let stoppedByTime = false;
  await Promise.all(
    Array.from({ length: Math.max(1, concurrency) }, async () => {
      while (next < items.length) {
        if (performance.now() > deadline) {
          stoppedByTime = true;
          return;
        }
        const i = next++;
        try {
          await fn(items[i], i);
        } catch (err) {
          errors++;
          firstError ??= (err as Error).message;
          if (errors > 100) {
            stoppedByTime = true; // give up: something is broken
            next = items.length;
          }
        }
      }
    }),
  );
  return { done: Math.min(next, items.length), elapsedMs: performance.now() - t0, stoppedByTime, errors, firstError };
}

/** A keep-alive HTTP client (one socket per worker), cheaper per request than fetch on a 2-core box. */
export function httpClient(maxSockets: number) {
  const agent = new Agent({ keepAlive: true, maxSockets, maxFreeSockets: maxSockets });
  const send = (
    method: 'GET' | 'POST',
    url: string,
    body: string | null,
    headers: Record<string, string>,
    timeoutMs: number,
  ): Promise<{ status: number; body: string }> =>
    new Promise((resolve, reject) => {
      const h = body === null ? headers : { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(body)), ...headers };
      const req = request(url, { method, agent, headers: h, timeout: timeoutMs }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
        res.on('error', reject);
      });
      req.on('timeout', () => req.destroy(new Error(`${method} ${url}: no answer in ${timeoutMs} ms`)));
      req.on('error', reject);
      req.end(body ?? undefined);
    });
  const post = (url: string, body: string, headers: Record<string, string> = {}, timeoutMs = 60_000) => send('POST', url, body, headers, timeoutMs);
  const get = (url: string, timeoutMs = 5000) => send('GET', url, null, {}, timeoutMs);
  return { post, get, close: () => agent.destroy() };
}

/** Waits until `done()` is true, polling; false on timeout. */
export async function waitFor(done: () => boolean, timeoutMs: number, everyMs = 20): Promise<boolean> {
  const until = performance.now() + timeoutMs;
  while (!done()) {
    if (performance.now() > until) return false;
    await new Promise((r) => setTimeout(r, everyMs));
  }
  return true;
}
