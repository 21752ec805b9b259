/**
 * The dashboard's charts as inline SVG rendered on the server (no script needed): incidents per hour by
 * severity (stacked bars) and the MTTA / MTTR trend (two lines). Each has a text alternative. Pure.
 */
import { secondsText, type HourBucket, type TrendPoint } from '../digest';
import { SEVERITIES } from '../types';
import { escapeHtml } from './escape';
import { SEVERITY_STYLE } from './format';

/** Bars on white need 3:1 against the page (WCAG 1.4.11): the light ones get a darker outline. */
const OUTLINE: Partial<Record<string, string>> = { P2: '#8a6d00', P1: '#a35200' };

function niceMax(v: number): number {
  if (v <= 4) return 4;
  const mag = 10 ** Math.floor(Math.log10(v));
  for (const m of [1, 2, 2.5, 5, 10]) if (v <= m * mag) return m * mag;
  return 10 * mag;
}

function hhmm(iso: string, timeZone: string): string {
  return new Intl.DateTimeFormat('en-GB', { hour: '2-digit', minute: '2-digit', hourCycle: 'h23', timeZone }).format(new Date(iso));
}

function dayLabel(iso: string, timeZone: string): string {
  return new Intl.DateTimeFormat('en-GB', { weekday: 'short', day: '2-digit', timeZone }).format(new Date(iso));
}

export interface SvgChartOptions {
  /** Hour labels in this zone (default UTC). */
  timeZone?: string;
  /** id prefix (unique per page) for aria-labelledby. */
  id: string;
  title: string;
}

/** Stacked bars of incidents opened per bucket, P0 at the bottom. */
export function hourlyChartSvg(buckets: HourBucket[], opts: SvgChartOptions): string {
  const tz = opts.timeZone ?? 'UTC';
  const W = 720;
  const H = 190;
  const left = 36;
  const right = 8;
  const top = 10;
  const bottom = 26;
  const plotW = W - left - right;
  const plotH = H - top - bottom;
  const totals = buckets.map((b) => SEVERITIES.reduce((n, s) => n + b.counts[s], 0));
  const max = niceMax(Math.max(0, ...totals));
  const n = Math.max(1, buckets.length);
  const slot = plotW / n;
  const barW = Math.max(1.5, slot * 0.72);
  const out: string[] = [];
  const total = totals.reduce((a, b) => a + b, 0);
  const desc = `${total} incidents; ${SEVERITIES.map((s) => `${s} ${buckets.reduce((a, b) => a + b.counts[s], 0)}`).join(', ')}`;
  out.push(
    `<svg class="chart" viewBox="0 0 ${W} ${H}" role="img" aria-labelledby="${opts.id}-t ${opts.id}-d" preserveAspectRatio="xMidYMid meet">`,
    `<title id="${opts.id}-t">${escapeHtml(opts.title)}</title><desc id="${opts.id}-d">${escapeHtml(desc)}</desc>`,
  );
  for (const f of [0, 0.5, 1]) {
    const y = top + plotH - plotH * f;
    out.push(`<line x1="${left}" x2="${W - right}" y1="${y.toFixed(1)}" y2="${y.toFixed(1)}" stroke="${f === 0 ? '#555' : '#ddd'}" stroke-width="1"/>`);
    out.push(`<text x="${left - 6}" y="${(y + 4).toFixed(1)}" text-anchor="end" class="axis">${Math.round(max * f)}</text>`);
  }
  const every = n <= 24 ? 3 : n <= 48 ? 6 : 24;
  buckets.forEach((b, k) => {
    const x = left + k * slot + (slot - barW) / 2;
    let y = top + plotH;
    const parts = SEVERITIES.filter((s) => b.counts[s] > 0);
    if (parts.length > 0) {
      const tip = `${hhmm(b.start, tz)}: ${parts.map((s) => `${s} ${b.counts[s]}`).join(', ')}`;
      out.push(`<g><title>${escapeHtml(tip)}</title>`);
      for (const s of parts) {
        const h = (b.counts[s] / max) * plotH;
        y -= h;
        const outline = OUTLINE[s] ? ` stroke="${OUTLINE[s]}" stroke-width="1"` : '';
        out.push(
          `<rect x="${x.toFixed(1)}" y="${y.toFixed(1)}" width="${barW.toFixed(1)}" height="${h.toFixed(1)}" fill="${SEVERITY_STYLE[s].color}"${outline}/>`,
        );
      }
      out.push('</g>');
    }
    if (k % every === 0) {
      const label = n > 48 ? dayLabel(b.start, tz) : hhmm(b.start, tz);
      const lx = left + k * slot;
      out.push(`<line x1="${lx.toFixed(1)}" x2="${lx.toFixed(1)}" y1="${top + plotH}" y2="${top + plotH + 4}" stroke="#555"/>`);
      out.push(`<text x="${lx.toFixed(1)}" y="${H - 8}" text-anchor="${k === 0 ? 'start' : 'middle'}" class="axis">${escapeHtml(label)}</text>`);
    }
  });
  out.push('</svg>');
  return out.join('');
}

/** MTTA and MTTR per bucket as two lines (minutes on the y axis); buckets without data break the line. */
export function trendChartSvg(points: TrendPoint[], opts: SvgChartOptions & { bucketHours: number }): string {
  const tz = opts.timeZone ?? 'UTC';
  const W = 720;
  const H = 170;
  const left = 44;
  const right = 8;
  const top = 10;
  const bottom = 26;
  const plotW = W - left - right;
  const plotH = H - top - bottom;
  const values = points.flatMap((p) => [p.mttaSeconds, p.mttrSeconds]).filter((v): v is number => v !== null);
  const peakMin = Math.max(0, ...values) / 60;
  // Minutes up to 90 min, whole hours above (nice steps either way).
  const inHours = peakMin > 90;
  const top_ = inHours ? niceMax(peakMin / 60) * 60 : niceMax(peakMin);
  const maxMin = top_;
  const n = Math.max(1, points.length);
  const xAt = (k: number) => left + (n === 1 ? plotW / 2 : (k * plotW) / (n - 1));
  const yAt = (s: number) => top + plotH - (s / 60 / maxMin) * plotH;
  const desc = points
    .filter((p) => p.count > 0)
    .map((p) => `${hhmm(p.start, tz)}: MTTA ${secondsText(p.mttaSeconds)}, MTTR ${secondsText(p.mttrSeconds)}`)
    .join('; ');
  const out: string[] = [
    `<svg class="chart" viewBox="0 0 ${W} ${H}" role="img" aria-labelledby="${opts.id}-t ${opts.id}-d" preserveAspectRatio="xMidYMid meet">`,
    `<title id="${opts.id}-t">${escapeHtml(opts.title)}</title><desc id="${opts.id}-d">${escapeHtml(desc || 'no acknowledged or resolved incidents in this range')}</desc>`,
  ];
  for (const f of [0, 0.5, 1]) {
    const y = top + plotH - plotH * f;
    out.push(`<line x1="${left}" x2="${W - right}" y1="${y.toFixed(1)}" y2="${y.toFixed(1)}" stroke="${f === 0 ? '#555' : '#ddd'}" stroke-width="1"/>`);
    const m = maxMin * f;
    out.push(
      `<text x="${left - 6}" y="${(y + 4).toFixed(1)}" text-anchor="end" class="axis">${inHours ? `${Math.round((m / 60) * 10) / 10} h` : `${Math.round(m * 10) / 10} min`}</text>`,
    );
  }
  const series: { key: 'mttaSeconds' | 'mttrSeconds'; color: string; dash: string; label: string }[] = [
    { key: 'mttaSeconds', color: '#0b57d0', dash: '', label: 'MTTA' },
    { key: 'mttrSeconds', color: '#6a1b9a', dash: ' stroke-dasharray="6 4"', label: 'MTTR' },
  ];
  for (const s of series) {
    let run: string[] = [];
    const flush = () => {
      if (run.length > 1) out.push(`<polyline fill="none" stroke="${s.color}" stroke-width="2.5"${s.dash} points="${run.join(' ')}"/>`);
      run = [];
    };
    points.forEach((p, k) => {
      const v = p[s.key];
      if (v === null) return flush();
      const x = xAt(k);
      const y = yAt(v);
      run.push(`${x.toFixed(1)},${y.toFixed(1)}`);
      out.push(
        `<circle cx="${x.toFixed(1)}" cy="${y.toFixed(1)}" r="3.5" fill="${s.color}"><title>${escapeHtml(`${s.label} ${hhmm(p.start, tz)}: ${secondsText(v)} (${p.count} incidents)`)}</title></circle>`,
      );
    });
    flush();
  }
  points.forEach((p, k) => {
    const label = opts.bucketHours >= 24 ? dayLabel(p.start, tz) : hhmm(p.start, tz);
    const anchor = n > 1 && k === n - 1 ? 'end' : k === 0 && n > 1 ? 'start' : 'middle';
    out.push(`<text x="${xAt(k).toFixed(1)}" y="${H - 8}" text-anchor="${anchor}" class="axis">${escapeHtml(label)}</text>`);
  });
  out.push('</svg>');
  return out.join('');
}
