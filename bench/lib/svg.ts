/** A hand-written SVG bar chart: latency percentiles per scenario, log scale, no dependencies. */

export interface ChartGroup {
  /** Scenario label (two lines allowed with \n). */
  label: string;
  system: 'ours' | 'theirs';
  values: { p50: number; p95: number; p99: number };
}

const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

const COLORS = {
  ours: { p50: '#1f5fa8', p95: '#4f8fd6', p99: '#9cc3ee' },
  theirs: { p50: '#b35806', p95: '#e08214', p99: '#fdb863' },
};

function fmt(v: number): string {
  if (!Number.isFinite(v)) return 'n/a';
  if (v >= 1000) return `${(v / 1000).toFixed(v >= 10_000 ? 0 : 1)} s`;
  if (v >= 10) return `${v.toFixed(0)}`;
  return v.toFixed(1);
}

export function latencyChart(groups: ChartGroup[], opts: { title: string; subtitle: string; footer?: string }): string {
  const W = Math.max(760, 140 + groups.length * 130);
  const H = 500;
  const left = 70;
  const right = 20;
  const top = 104;
  const bottom = 110;
  const plotW = W - left - right;
  const plotH = H - top - bottom;
  const all = groups.flatMap((g) => [g.values.p50, g.values.p95, g.values.p99]).filter((v) => Number.isFinite(v) && v > 0);
  const lo = 10 ** Math.floor(Math.log10(Math.max(0.1, Math.min(...all, 1))));
  const hi = 10 ** Math.ceil(Math.log10(Math.max(...all, 10)));
  const y = (v: number) => top + plotH - ((Math.log10(Math.max(v, lo)) - Math.log10(lo)) / (Math.log10(hi) - Math.log10(lo))) * plotH;
  const out: string[] = [];
  out.push(
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="Helvetica, Arial, sans-serif" font-size="12">`,
  );
  out.push(`<rect width="${W}" height="${H}" fill="#ffffff"/>`);
  out.push(`<text x="${left}" y="28" font-size="17" font-weight="bold" fill="#222">${esc(opts.title)}</text>`);
  out.push(`<text x="${left}" y="48" font-size="12" fill="#555">${esc(opts.subtitle)}</text>`);
  // grid and axis labels (decades, with 2 and 5 minor lines)
  for (let d = lo; d <= hi; d *= 10) {
    for (const m of [1, 2, 5]) {
      const v = d * m;
      if (v > hi) break;
      const yy = y(v).toFixed(1);
      out.push(`<line x1="${left}" x2="${W - right}" y1="${yy}" y2="${yy}" stroke="${m === 1 ? '#ccc' : '#eee'}" stroke-width="1"/>`);
      if (m === 1 || (hi / lo <= 1000 && m !== 1))
        out.push(`<text x="${left - 6}" y="${(y(v) + 4).toFixed(1)}" text-anchor="end" fill="#555">${v >= 1000 ? `${v / 1000} s` : `${v} ms`}</text>`);
    }
  }
  out.push(
    `<text transform="translate(16 ${top + plotH / 2}) rotate(-90)" text-anchor="middle" fill="#333">latency, POST → notification received (log scale)</text>`,
  );
  const gw = plotW / groups.length;
  const bw = Math.min(30, (gw - 24) / 3);
  groups.forEach((g, i) => {
    const x0 = left + i * gw + (gw - 3 * bw) / 2;
    (['p50', 'p95', 'p99'] as const).forEach((k, j) => {
      const v = g.values[k];
      if (!Number.isFinite(v)) return;
      const yy = y(v);
      const x = x0 + j * bw;
      out.push(
        `<rect x="${x.toFixed(1)}" y="${yy.toFixed(1)}" width="${(bw - 2).toFixed(1)}" height="${(top + plotH - yy).toFixed(1)}" fill="${COLORS[g.system][k]}"><title>${esc(`${g.label.replace(/\n/g, ' ')} ${k}: ${v.toFixed(1)} ms`)}</title></rect>`,
      );
      out.push(`<text x="${(x + (bw - 2) / 2).toFixed(1)}" y="${(yy - 4).toFixed(1)}" text-anchor="middle" font-size="10" fill="#333">${fmt(v)}</text>`);
    });
    g.label.split('\n').forEach((line, li) => {
      out.push(
        `<text x="${(left + i * gw + gw / 2).toFixed(1)}" y="${top + plotH + 18 + li * 15}" text-anchor="middle" fill="#222"${li === 0 ? ' font-weight="bold"' : ''}>${esc(line)}</text>`,
      );
    });
  });
  out.push(`<line x1="${left}" x2="${W - right}" y1="${top + plotH}" y2="${top + plotH}" stroke="#333"/>`);
  // legend: one row per system
  (['ours', 'theirs'] as const).forEach((sys, row) => {
    const ly = 70 + row * 17;
    let lx = left;
    out.push(`<text x="${lx}" y="${ly}" fill="#333" font-weight="bold">${sys === 'ours' ? 'alert-router' : 'Alertmanager'}</text>`);
    lx += 100;
    for (const k of ['p50', 'p95', 'p99'] as const) {
      out.push(`<rect x="${lx}" y="${ly - 9}" width="11" height="11" fill="${COLORS[sys][k]}"/>`);
      out.push(`<text x="${lx + 15}" y="${ly}" fill="#333">${k}</text>`);
      lx += 60;
    }
  });
  if (opts.footer) out.push(`<text x="${left}" y="${H - 12}" font-size="11" fill="#666">${esc(opts.footer)}</text>`);
  out.push('</svg>');
  return `${out.join('\n')}\n`;
}
