/**
 * Preloaded into a process the bench measures (`node --expose-gc --import ./bench/lib/heap-probe.mjs …`): on
 * SIGUSR2 it runs a full garbage collection and prints the live JS heap, so a memory figure can tell what is
 * still referenced from what V8 has not given back yet. Nothing runs until the signal comes.
 */
import { writeSync } from 'node:fs';

process.on('SIGUSR2', () => {
  globalThis.gc?.();
  const m = process.memoryUsage();
  const mib = (n) => (n / 1048576).toFixed(1);
  writeSync(2, `heap-probe: heapUsed=${mib(m.heapUsed)} external=${mib(m.external)} rss=${mib(m.rss)} heapTotal=${mib(m.heapTotal)}\n`);
});
