/**
 * The local server's fan-outs in the background: `POST /sns` is answered once the incident and its notices are
 * recorded pending, and the sends finish here. Bounded: with `limit` fan-outs running after their answer, the next
 * answer waits for its own sends again (so a flood slows its sender instead of piling up sends); drained on
 * shutdown so that a stop loses no send in flight.
 * A send that never finishes (the process died) stays pending under its lease: the sweep resends it.
 */
/**
 * Fan-outs running after their answer before the next answer waits for its own sends (npm start's default). Three:
 * one alarm at a time, a loopback send takes about two answers' time on a fast machine, and with two the next
 * answer waited for its own sends one time in ten or more (docs/delivery.md).
 */
export const BACKGROUND_LIMIT = 3;

export class BackgroundSends {
  private readonly running = new Set<Promise<unknown>>();

  constructor(
    /** Fan-outs that may run after their answer at once. */
    private readonly limit: number,
    private readonly onError: (err: unknown) => void,
  ) {}

  /**
   * Takes a fan-out to start once the current answer is out and finish in the background (true), or leaves it to
   * the caller (false) when `limit` already run: that answer then waits for its own sends, as it would on AWS.
   * The start waits for the event loop's check phase: the answer is written in the promise chain of the request
   * that recorded the notices, so rendering and handing over the sends no longer delay it.
   */
  readonly take = (start: () => Promise<unknown>): boolean => {
    if (this.running.size >= this.limit) return false;
    const task: Promise<unknown> = new Promise<void>((r) => setImmediate(r))
      .then(start)
      .catch(this.onError)
      .finally(() => this.running.delete(task));
    this.running.add(task);
    return true;
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
