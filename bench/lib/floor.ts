/**
 * The box's floor for one alarm per POST: a node:http server that reads each body, parses it as JSON and answers
 * `{}`, driven by the same client with the same alarms as the router and Alertmanager. Nothing is stored or sent:
 * what it reaches is what the client, the loopback sockets and node's HTTP server cost on this machine, an upper
 * bound for any Node server with this client, measured right after the runs it is set beside. It also shows how
 * busy the box was then.
 */
import { httpClient, runLoad, type LoadResult } from './load';
import { spawnUntil, stop } from './procs';
import { buildWorkload, SNS_POST_HEADERS } from './workload';

const SERVER = `
const http = require('node:http');
const server = http.createServer((req, res) => {
  const chunks = [];
  req.on('data', (c) => chunks.push(c));
  req.on('end', () => {
    JSON.parse(Buffer.concat(chunks).toString('utf8'));
    res.writeHead(200, { 'content-type': 'application/json; charset=utf-8', 'content-length': '2' });
    res.end('{}');
  });
});
server.keepAliveTimeout = 65000;
server.listen(0, '127.0.0.1', () => process.stdout.write('listening ' + server.address().port + '\\n'));
`;

export interface FloorResult {
  posted: number;
  throughput: number;
}

function checked(what: string, load: LoadResult): LoadResult {
  if (load.errors > 0) throw new Error(`node:http floor, ${what}: ${load.errors} errors, first: ${load.firstError}`);
  if (load.stoppedByTime) throw new Error(`node:http floor, ${what}: stopped by the time limit after ${load.done} requests`);
  return load;
}

/**
 * The `warmUp` workload's alarms first, one at a time as both systems warm up (not counted), then the `n` workload's
 * deliveries at `concurrency`: requests answered per second.
 */
export async function runHttpFloor(o: { n: number; concurrency: number; warmUp: number; tag: string; timeLimitMs: number }): Promise<FloorResult> {
  const { child, match } = await spawnUntil(process.execPath, ['-e', SERVER], { ready: /listening (\d+)/, label: 'node:http floor', timeoutMs: 30_000 });
  try {
    const url = `http://127.0.0.1:${match[1]}/sns`;
    const client = httpClient(o.concurrency);
    const post = async (body: string) => {
      const r = await client.post(url, body, SNS_POST_HEADERS);
      if (r.status !== 200) throw new Error(`HTTP ${r.status}`);
    };
    try {
      checked('warm-up', await runLoad(buildWorkload(o.warmUp, `${o.tag}w`).uniques, 1, o.timeLimitMs, (u) => post(u.body)));
      const load = checked('run', await runLoad(buildWorkload(o.n, o.tag).deliveries, o.concurrency, o.timeLimitMs, (d) => post(d.alarm.body)));
      return { posted: load.done, throughput: load.done / (load.elapsedMs / 1000) };
    } finally {
      client.close();
    }
  } finally {
    await stop(child);
  }
}
