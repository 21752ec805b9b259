/**
 * The digest's bar chart as a PNG, without native dependencies: a tiny RGB canvas, a 3×5 pixel font for
 * the axis labels, and a PNG encoder over node:zlib (deflate) with its own CRC-32. Pure: returns bytes.
 */
import { deflateSync } from 'node:zlib';
import type { HourBucket } from '../digest';
import { SEVERITIES } from '../types';
import { SEVERITY_STYLE } from './format';

const CRC_TABLE = (() => {
  const t = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t[n] = c >>> 0;
  }
  return t;
})();

export function crc32(bytes: Uint8Array, start = 0, end = bytes.length): number {
  let c = 0xffffffff;
  for (let i = start; i < end; i++) c = CRC_TABLE[(c ^ bytes[i]) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

function chunk(type: string, data: Uint8Array): Buffer {
  const out = Buffer.alloc(12 + data.length);
  out.writeUInt32BE(data.length, 0);
  out.write(type, 4, 'ascii');
  Buffer.from(data).copy(out, 8);
  out.writeUInt32BE(crc32(out, 4, 8 + data.length), 8 + data.length);
  return out;
}

/** An 8-bit RGB PNG of `width`×`height` pixels (`rgb` holds width·height·3 bytes, row by row). */
export function encodePng(width: number, height: number, rgb: Uint8Array): Buffer {
  if (rgb.length !== width * height * 3) throw new RangeError(`encodePng: expected ${width * height * 3} bytes, got ${rgb.length}`);
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr[8] = 8; // bit depth
  ihdr[9] = 2; // colour type: truecolour
  ihdr[10] = 0; // deflate
  ihdr[11] = 0; // adaptive filtering (each row says its filter: 0 = none)
  ihdr[12] = 0; // no interlace
  const stride = width * 3;
  const raw = Buffer.alloc((stride + 1) * height);
  for (let y = 0; y < height; y++) {
    raw[y * (stride + 1)] = 0;
    Buffer.from(rgb.buffer, rgb.byteOffset + y * stride, stride).copy(raw, y * (stride + 1) + 1);
  }
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', ihdr),
    chunk('IDAT', deflateSync(raw, { level: 9 })),
    chunk('IEND', new Uint8Array(0)),
  ]);
}

type Rgb = [number, number, number];

function hex(color: string): Rgb {
  const n = Number.parseInt(color.replace('#', ''), 16);
  return [(n >> 16) & 255, (n >> 8) & 255, n & 255];
}

/** 3×5 glyphs for axis labels. */
const FONT: Record<string, string> = {
  '0': '111101101101111',
  '1': '010110010010111',
  '2': '111001111100111',
  '3': '111001111001111',
  '4': '101101111001001',
  '5': '111100111001111',
  '6': '111100111101111',
  '7': '111001001001001',
  '8': '111101111101111',
  '9': '111101111001111',
  P: '110101110100100',
  h: '100100110101101',
  ':': '000010000010000',
  ' ': '000000000000000',
};

class Canvas {
  readonly px: Uint8Array;
  constructor(
    readonly width: number,
    readonly height: number,
    background: Rgb,
  ) {
    this.px = new Uint8Array(width * height * 3);
    this.rect(0, 0, width, height, background);
  }

  rect(x: number, y: number, w: number, h: number, c: Rgb): void {
    const x0 = Math.max(0, Math.round(x));
    const y0 = Math.max(0, Math.round(y));
    const x1 = Math.min(this.width, Math.round(x + w));
    const y1 = Math.min(this.height, Math.round(y + h));
    for (let yy = y0; yy < y1; yy++) {
      for (let xx = x0; xx < x1; xx++) {
        const o = (yy * this.width + xx) * 3;
        this.px[o] = c[0];
        this.px[o + 1] = c[1];
        this.px[o + 2] = c[2];
      }
    }
  }

  text(s: string, x: number, y: number, scale: number, c: Rgb): void {
    let cx = x;
    for (const ch of s) {
      const g = FONT[ch] ?? FONT[' '];
      for (let r = 0; r < 5; r++) for (let col = 0; col < 3; col++) if (g[r * 3 + col] === '1') this.rect(cx + col * scale, y + r * scale, scale, scale, c);
      cx += 4 * scale;
    }
  }

  static textWidth(s: string, scale: number): number {
    return Math.max(0, [...s].length * 4 * scale - scale);
  }
}

function niceMax(v: number): number {
  if (v <= 4) return 4;
  const steps = [5, 10, 20, 25, 50, 100, 200, 250, 500, 1000, 2000, 5000, 10000];
  for (const s of steps) if (v <= s) return s;
  return Math.ceil(v / 10000) * 10000;
}

export interface ChartOptions {
  width?: number;
  height?: number;
  /** IANA zone of the hour labels (default UTC). */
  timeZone?: string;
}

function hourLabel(iso: string, timeZone: string): string {
  const h = new Intl.DateTimeFormat('en-GB', { hour: '2-digit', hourCycle: 'h23', timeZone }).format(new Date(iso));
  return h.padStart(2, '0').slice(-2);
}

/**
 * Incidents per hour as stacked bars (P0 at the bottom, in the severity colours), with a legend, a y axis and
 * hour labels every 3 hours. The email shows it as an inline image (cid); its HTML repeats the numbers as text.
 */
export function hourlyChartPng(buckets: HourBucket[], opts: ChartOptions = {}): Buffer {
  const width = opts.width ?? 720;
  const height = opts.height ?? 240;
  const tz = opts.timeZone ?? 'UTC';
  const s = 2; // font scale
  const ink = hex('#333333');
  const grid = hex('#DDDDDD');
  const cv = new Canvas(width, height, [255, 255, 255]);
  const left = 44;
  const right = 12;
  const top = 34;
  const bottom = 30;
  const plotW = width - left - right;
  const plotH = height - top - bottom;

  // Legend: a swatch and the severity name.
  let lx = left;
  for (const sev of SEVERITIES) {
    cv.rect(lx, 10, 14, 14, hex(SEVERITY_STYLE[sev].color));
    cv.text(sev, lx + 20, 12, s, ink);
    lx += 20 + Canvas.textWidth(sev, s) + 24;
  }

  const totals = buckets.map((b) => SEVERITIES.reduce((n, sev) => n + b.counts[sev], 0));
  const max = niceMax(Math.max(0, ...totals));
  for (const f of [0, 0.5, 1]) {
    const y = top + plotH - Math.round(plotH * f);
    cv.rect(left, y, plotW, 1, f === 0 ? ink : grid);
    const label = String(Math.round(max * f));
    cv.text(label, left - 6 - Canvas.textWidth(label, s), y - 5, s, ink);
  }

  const n = Math.max(1, buckets.length);
  const slot = plotW / n;
  const barW = Math.max(1, Math.floor(slot * 0.7));
  buckets.forEach((b, k) => {
    const x = left + k * slot + (slot - barW) / 2;
    let y = top + plotH;
    for (const sev of SEVERITIES) {
      const c = b.counts[sev];
      if (!c) continue;
      const h = Math.max(1, Math.round((c / max) * plotH));
      cv.rect(x, y - h, barW, h, hex(SEVERITY_STYLE[sev].color));
      y -= h;
    }
    const every = n <= 24 ? 3 : n <= 48 ? 6 : 24;
    if (k % every === 0) {
      const label = hourLabel(b.start, tz);
      cv.rect(Math.round(left + k * slot), top + plotH, 1, 4, ink);
      cv.text(label, Math.round(left + k * slot) - Canvas.textWidth(label, s) / 2, top + plotH + 8, s, ink);
    }
  });
  return encodePng(width, height, cv.px);
}
