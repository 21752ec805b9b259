/**
 * The bench's floor (bench/lib/floor.ts): a do-nothing node:http server driven by the bench's client with the
 * bench's alarms. Every request must be answered 200 and counted, redeliveries included, or the floor printed
 * beside each like-for-like round would not be the figure it claims.
 */
import { describe, expect, it } from 'vitest';
import { runHttpFloor } from '../bench/lib/floor';
import { buildWorkload } from '../bench/lib/workload';

describe('bench floor', () => {
  it('answers every delivery of the workload and reports a rate', async () => {
    const n = 120;
    const r = await runHttpFloor({ n, concurrency: 4, warmUp: 10, tag: 'floortest', timeLimitMs: 60_000 });
    expect(r.posted).toBe(buildWorkload(n, 'floortest').deliveries.length);
    expect(r.throughput).toBeGreaterThan(0);
  });
});
