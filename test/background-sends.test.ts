import { describe, expect, it } from 'vitest';
import { BackgroundSends } from '../packages/local/src/background';

/** A send the test finishes itself. */
function send(): { sending: Promise<string>; finish: () => void; fail: (err: Error) => void } {
  let finish!: () => void;
  let fail!: (err: Error) => void;
  const sending = new Promise<string>((resolve, reject) => {
    finish = () => resolve('sent');
    fail = reject;
  });
  return { sending, finish, fail };
}

describe('BackgroundSends: the local fan-outs after their answer', () => {
  it('takes sends up to its limit; past it the caller keeps the send (its answer waits for it)', async () => {
    const bg = new BackgroundSends(2, () => undefined);
    const [a, b, c] = [send(), send(), send()];
    expect(bg.take(a.sending)).toBe(true);
    expect(bg.take(b.sending)).toBe(true);
    expect(bg.take(c.sending)).toBe(false);
    expect(bg.size).toBe(2);
    a.finish();
    await a.sending;
    await new Promise((r) => setImmediate(r));
    expect(bg.size).toBe(1);
    const d = send();
    expect(bg.take(d.sending)).toBe(true); // a finished: room again
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
    bg.take(a.sending);
    let drained = false;
    const draining = bg.drain().then(() => (drained = true));
    bg.take(b.sending);
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
    const a = send();
    expect(bg.take(a.sending)).toBe(true);
    a.fail(new Error('store closed'));
    await bg.drain();
    expect(errors).toEqual([new Error('store closed')]);
    expect(bg.take(send().sending)).toBe(true);
  });
});
