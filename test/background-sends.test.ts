import { describe, expect, it } from 'vitest';
import { BackgroundSends } from '../packages/local/src/background';

/** A send the test finishes itself. */
function send(): { sending: Promise<string>; finish: () => void } {
  let finish!: () => void;
  const sending = new Promise<string>((resolve) => {
    finish = () => resolve('sent');
  });
  return { sending, finish };
}

describe('BackgroundSends: the local fan-outs after their answer', () => {
  it('takes sends up to its limit; past it the caller keeps the send (its answer waits for it)', async () => {
    const bg = new BackgroundSends(2, () => undefined);
    const [a, b, c] = [send(), send(), send()];
    expect(bg.take(() => a.sending)).toBe(true);
    expect(bg.take(() => b.sending)).toBe(true);
    expect(bg.take(() => c.sending)).toBe(false);
    expect(bg.size).toBe(2);
    a.finish();
    await a.sending;
    await new Promise((r) => setImmediate(r));
    expect(bg.size).toBe(1);
    const d = send();
    expect(bg.take(() => d.sending)).toBe(true); // a finished: room again
    b.finish();
    c.finish();
    d.finish();
    await bg.drain();
    expect(bg.size).toBe(0);
  });

  it('drain waits for every send, those taken while draining too', async () => {
    const bg = new BackgroundSends(8, () => undefined);
    const a = send();
    const b = send();
    bg.take(() => a.sending);
    let drained = false;
    const draining = bg.drain().then(() => (drained = true));
    bg.take(() => b.sending);
    a.finish();
    await a.sending;
    await new Promise((r) => setImmediate(r));
    expect(drained).toBe(false);
    b.finish();
    await draining;
    expect(drained).toBe(true);
  });

  it('a send that fails is reported, not thrown, and frees its room', async () => {
    const errors: unknown[] = [];
    const bg = new BackgroundSends(1, (err) => errors.push(err));
    expect(
      bg.take(async () => {
        throw new Error('store closed');
      }),
    ).toBe(true);
    await bg.drain();
    expect(errors).toEqual([new Error('store closed')]);
    expect(bg.take(() => send().sending)).toBe(true);
  });

  it('starts a fan-out it takes after the promise chain that took it (the answer goes out first)', async () => {
    const bg = new BackgroundSends(1, () => undefined);
    const order: string[] = [];
    expect(
      bg.take(async () => {
        order.push('sends started');
      }),
    ).toBe(true);
    for (let hop = 0; hop < 20; hop++) await Promise.resolve(); // the handler's and the server's awaits
    order.push('answered');
    await bg.drain();
    expect(order).toEqual(['answered', 'sends started']);
  });
});
