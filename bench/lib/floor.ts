/**
 * The box's floor for one alarm per POST: a node:http server that reads each body, parses it as JSON and answers
 * `{}`, driven by the same client with the same alarms as the router and Alertmanager. Nothing is stored or sent:
 * what it reaches is what the client, the loopback sockets and node's HTTP server cost on this machine at that
 * moment, the ceiling of any Node server here, and a gauge of how busy the box was during a round.
 */
import { once } from 'node:events';
import { httpClient, runLoad } from './load';
import { spawnTracked, stop } from './procs';
import { buildWorkload } from './workload';

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

/** `warmUp` requests first (not counted), then `n` alarms at `concurrency`: requests answered per second. */
export async function runHttpFloor(o: { n: number; concurrency: number; warmUp: number; tag: string; timeLimitMs: number }): Promise<FloorResult> {
  const { child, output } = spawnTracked(process.execPath, ['-e', SERVER], {});
  try {
    while (!/listening (\d+)/.test(output())) {
      if (child.exitCode !== null) throw new Error(`node:http floor: exited ${child.exitCode}: ${output()}`);
      await Promise.race([once(child.stdout!, 'data'), once(child, 'exit')]);
    }
    const url = `http://127.0.0.1:${/listening (\d+)/.exec(output())![1]}/sns`;
    const client = httpClient(o.concurrency);
    const headers = { 'content-type': 'text/plain; charset=UTF-8', 'x-amz-sns-message-type': 'Notification' };
    const post = async (body: string) => {
      const r = await client.post(url, body, headers);
      if (r.status !== 200) throw new Error(`node:http floor: HTTP ${r.status}`);
    };
    try {
      await runLoad(buildWorkload(o.warmUp, `${o.tag}w`).uniques, o.concurrency, o.timeLimitMs, (u) => post(u.body));
      const load = await runLoad(buildWorkload(o.n, o.tag).deliveries, o.concurrency, o.timeLimitMs, (d) => post(d.alarm.body));
      if (load.errors > 0) throw new Error(`node:http floor: ${load.errors} errors, first: ${load.firstError}`);
      return { posted: load.done, throughput: load.done / (load.elapsedMs / 1000) };
    } finally {
      client.close();
    }
  } finally {
    await stop(child);
  }
}
