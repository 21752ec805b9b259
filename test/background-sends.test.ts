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
  it('takes sends up to its limit at once; the next one waits until one has finished', async () => {
    const bg = new BackgroundSends(2, () => undefined);
    const [a, b, c] = [send(), send(), send()];
    expect(bg.add(a.sending)).toBeUndefined();
    expect(bg.add(b.sending)).toBeUndefined();
    let roomForC = false;
    const waiting = bg.add(c.sending)!.then(() => (roomForC = true));
    expect(bg.size).toBe(3);
    await new Promise((r) => setImmediate(r));
    expect(roomForC).toBe(false); // nothing has finished
    a.finish();
    await waiting;
    expect(roomForC).toBe(true);
    expect(bg.size).toBe(2);
    b.finish();
    c.finish();
    await bg.drain();
    expect(bg.size).toBe(0);
  });

  it('drain waits for every send, those taken while draining too', async () => {
    const bg = new BackgroundSends(8, () => undefined);
    const a = send();
    const b = send();
    bg.add(a.sending);
    let drained = false;
    const draining = bg.drain().then(() => (drained = true));
    bg.add(b.sending);
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
    bg.add(a.sending);
    const next = bg.add(send().sending);
    a.fail(new Error('store closed'));
    await next;
    expect(errors).toEqual([new Error('store closed')]);
  });
});
