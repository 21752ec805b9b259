/**
 * The local server's fan-outs in the background: `POST /sns` is answered once the incident and its notices are
 * recorded pending, and the sends finish here. A bounded backlog (the answer waits for room, so a flood slows its
 * sender instead of piling up sends), and drained on shutdown so that a stop loses no send in flight.
 * A send that never finishes (the process died) stays pending under its lease: the sweep resends it.
 */
/** Fan-outs in flight before an SNS answer waits for one to finish (npm start's default). */
export const BACKGROUND_LIMIT = 8;

export class BackgroundSends {
  private readonly running = new Set<Promise<unknown>>();
  private readonly waiting: (() => void)[] = [];

  constructor(
    /** Sends in flight before an answer waits for one to finish. */
    private readonly limit: number,
    private readonly onError: (err: unknown) => void,
  ) {}

  /** Takes a send that has started; resolves at once, or once the backlog has room again. */
  readonly add = (sending: Promise<unknown>): Promise<void> | undefined => {
    const task: Promise<unknown> = sending.catch(this.onError).finally(() => {
      this.running.delete(task);
      this.waiting.shift()?.();
    });
    this.running.add(task);
    if (this.running.size <= this.limit) return undefined;
    return new Promise<void>((resolve) => this.waiting.push(resolve));
  };

  /** Sends in flight. */
  get size(): number {
    return this.running.size;
  }

  /** Resolves once every send taken so far (and any taken meanwhile) has finished. */
  async drain(): Promise<void> {
    while (this.running.size > 0) await Promise.allSettled([...this.running]);
  }
}
