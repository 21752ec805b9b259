/** Summarises a V8 .cpuprofile (node --cpu-prof): self time by function and by area (package / subsystem). */
import { readFileSync } from 'node:fs';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number; columnNumber: number };
  children?: number[];
}
interface Profile {
  nodes: ProfileNode[];
  startTime: number;
  endTime: number;
  samples: number[];
  timeDeltas: number[];
}

export interface ProfileEntry {
  name: string;
  ms: number;
  share: number;
}

export interface ProfileSummary {
  totalMs: number;
  /** Sampled time outside "(idle)". */
  busyMs: number;
  topFunctions: ProfileEntry[];
  areas: ProfileEntry[];
  /** Inclusive ("total") time of selected frames: the router's own stages and the big dependencies. */
  inclusive: ProfileEntry[];
}

/** Which part of the system a frame belongs to, from its script URL. */
export function areaOf(url: string, fn: string): string {
  if (!url) {
    if (fn === '(garbage collector)') return 'GC';
    if (fn === '(idle)') return 'idle';
    if (fn === '(program)') return 'V8/native (program)';
    return `native: ${fn || '(anonymous)'}`;
  }
  const nm = url.lastIndexOf('node_modules/');
  if (nm >= 0) {
    const rest = url.slice(nm + 'node_modules/'.length).split('/');
    const pkg = rest[0].startsWith('@') ? `${rest[0]}/${rest[1]}` : rest[0];
    if (
      pkg === 'dynalite' ||
      pkg === 'levelup' ||
      pkg === 'memdown' ||
      pkg === 'leveldown' ||
      pkg.startsWith('abstract-') ||
      pkg === 'lazy' ||
      pkg === 'big.js' ||
      pkg === 'subleveldown' ||
      pkg === 'level-sublevel' ||
      pkg === 'deferred-leveldown' ||
      pkg === 'encoding-down' ||
      pkg === 'level-codec' ||
      pkg.startsWith('level-') ||
      pkg === 'memory-level' ||
      pkg === 'classic-level' ||
      pkg === 'functional-red-black-tree' ||
      pkg === 'async' ||
      pkg === 'once' ||
      pkg === 'buffer-crc32'
    )
      return `dynalite (+ LevelDB stack): ${pkg}`;
    if (pkg.startsWith('@aws-sdk/') || pkg.startsWith('@smithy/')) return `AWS SDK: ${pkg}`;
    return `npm: ${pkg}`;
  }
  if (url.startsWith('node:')) {
    const m = /^node:(?:internal\/)?([a-z_]+)/.exec(url);
    return `node: ${m ? m[1] : url}`;
  }
  if (url.includes('dynalite-worker')) return 'dynalite (+ LevelDB stack): worker glue';
  if (url.includes('/packages/'))
    return `router: ${url
      .slice(url.indexOf('/packages/') + 1)
      .split('/')
      .slice(0, 2)
      .join('/')}`;
  if (url.includes('/functions/')) return 'router: functions';
  return url.replace(/^file:\/\//, '');
}

function groupOfArea(area: string): string {
  if (area.startsWith('dynalite')) return 'dynalite + LevelDB (in-process DynamoDB)';
  if (area.startsWith('AWS SDK')) return 'AWS SDK v3 (DynamoDB client: marshalling, middleware, SigV4 signing)';
  return area;
}

export function summarizeProfile(path: string, top = 15): ProfileSummary {
  const p = JSON.parse(readFileSync(path, 'utf8')) as Profile;
  const byId = new Map<number, ProfileNode>();
  for (const n of p.nodes) byId.set(n.id, n);
  const parent = new Map<number, number>();
  for (const n of p.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const self = new Map<number, number>();
  for (let i = 0; i < p.samples.length; i++) self.set(p.samples[i], (self.get(p.samples[i]) ?? 0) + (p.timeDeltas[i] ?? 0) / 1000);
  const totalMs = (p.endTime - p.startTime) / 1000;
  const fn = new Map<string, number>();
  const area = new Map<string, number>();
  let idle = 0;
  for (const [id, t] of self) {
    const cf = byId.get(id)!.callFrame;
    const a = groupOfArea(areaOf(cf.url, cf.functionName));
    if (a === 'idle') {
      idle += t;
      continue;
    }
    area.set(a, (area.get(a) ?? 0) + t);
    const short = cf.url
      ? `${cf.functionName || '(anonymous)'}  ${cf.url.replace(/^file:\/\/\/work\/main\//, '').replace(/^.*node_modules\//, '')}:${cf.lineNumber + 1}`
      : cf.functionName;
    fn.set(short, (fn.get(short) ?? 0) + t);
  }
  const busyMs = totalMs - idle;
  const rank = (m: Map<string, number>, k: number) =>
    [...m.entries()]
      .sort((a, b) => b[1] - a[1])
      .slice(0, k)
      .map(([name, ms]) => ({ name, ms, share: ms / busyMs }));

  // inclusive time of interesting frames (counted once per sample even when recursive)
  const marks: [string, (cf: ProfileNode['callFrame']) => boolean][] = [
    ['dynalite request handling (all of it)', (cf) => cf.url.includes('node_modules/dynalite/')],
    ['AWS SDK client (send → response parsed)', (cf) => cf.url.includes('@smithy/') || cf.url.includes('@aws-sdk/')],
    ['nodemailer (SMTP client)', (cf) => cf.url.includes('node_modules/nodemailer/')],
    ['router: packages/core (parse, classify, render)', (cf) => cf.url.includes('/packages/core/')],
    ['router: packages/aws (pipeline, store, notifiers)', (cf) => cf.url.includes('/packages/aws/')],
    ['Powertools (logger/metrics middleware)', (cf) => cf.url.includes('@aws-lambda-powertools')],
    ['zod (schema validation)', (cf) => cf.url.includes('node_modules/zod/')],
    ['undici (fetch: Slack, PagerDuty)', (cf) => cf.url.includes('undici') || cf.functionName === 'fetch'],
  ];
  const incl = new Map<string, number>();
  const sampleCount = new Map<number, number>();
  for (let i = 0; i < p.samples.length; i++) sampleCount.set(p.samples[i], (sampleCount.get(p.samples[i]) ?? 0) + (p.timeDeltas[i] ?? 0) / 1000);
  for (const [id, t] of sampleCount) {
    const hit = new Set<string>();
    for (let cur: number | undefined = id; cur !== undefined; cur = parent.get(cur)) {
      const cf = byId.get(cur)!.callFrame;
      for (const [label, test] of marks) if (test(cf)) hit.add(label);
    }
    for (const h of hit) incl.set(h, (incl.get(h) ?? 0) + t);
  }
  return { totalMs, busyMs, topFunctions: rank(fn, top), areas: rank(area, top), inclusive: rank(incl, marks.length) };
}
