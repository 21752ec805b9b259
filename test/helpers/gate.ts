import type { Notifier } from '@alert-router/core';

/**
 * Holds a notifier's next send until released: `reached` resolves when the send has started (the caller then
 * acts while it is in flight), `release()` lets it go on. Later sends pass straight through.
 */
export function gate(notifier: Notifier): { reached: Promise<void>; release: () => void } {
  const send = notifier.send.bind(notifier);
  let arrive!: () => void;
  let open!: () => void;
  const reached = new Promise<void>((r) => (arrive = r));
  const released = new Promise<void>((r) => (open = r));
  let used = false;
  notifier.send = async (notice, signal) => {
    if (!used) {
      used = true;
      arrive();
      await released;
    }
    return send(notice, signal);
  };
  return { reached, release: () => open() };
}
