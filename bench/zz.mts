const { startDynalite, ensureTable } = await import('../packages/local/src/dynalite.ts');
for (let i = 0; i < 4; i++) {
  let t = performance.now(); const d = await startDynalite(); const a = performance.now() - t;
  t = performance.now(); await ensureTable(d.endpoint, 'abc' + i); const b = performance.now() - t;
  t = performance.now(); await d.close(); console.log(`start ${a.toFixed(0)} table ${b.toFixed(0)} close ${(performance.now() - t).toFixed(0)}`);
}
