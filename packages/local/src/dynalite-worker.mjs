// dynalite on its own thread, so that DynamoDB's work (validation, expressions, LevelDB) runs on the second core
// while the main thread runs the handlers. Plain JavaScript: a worker gets no TypeScript loader under vitest.
//
// Protocol (MessagePort): in  { id, method, path, headers, body } → out { id, statusCode, headers, body }
//                         in  { close: true }                    → out { closed: true }
// It also listens on a loopback port, so tools outside the process can use the same tables.
import { EventEmitter } from 'node:events';
import { createRequire } from 'node:module';
import { parentPort, workerData } from 'node:worker_threads';

const require = createRequire(import.meta.url);
const dynalite = require('dynalite');

const server = dynalite({ path: workerData.path, createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 });
const listener = server.listeners('request')[0];

function serve({ id, method, path, headers, body }, done) {
  // Just enough of IncomingMessage for dynalite: headers, method, url and one 'data' + 'end'.
  const req = Object.assign(new EventEmitter(), { headers, method, url: path });
  const out = {};
  const res = {
    statusCode: 200,
    setHeader: (k, v) => void (out[k.toLowerCase()] = String(v)),
    getHeader: (k) => out[k.toLowerCase()],
    removeHeader: (k) => void delete out[k.toLowerCase()],
    end(data) {
      done({ id, statusCode: this.statusCode, headers: out, body: data == null ? '' : String(data) });
    },
  };
  try {
    listener(req, res);
    if (body) req.emit('data', Buffer.from(body));
    req.emit('end');
  } catch (err) {
    done({ id, statusCode: 500, headers: {}, body: JSON.stringify({ __type: 'InternalFailure', message: String(err) }) });
  }
}

const post = (reply) => parentPort.postMessage(reply);

// DynamoDB hands back the item that failed a write's condition when asked (ReturnValuesOnConditionCheckFailure:
// ALL_OLD), which saves the caller a read; dynalite 4 ignores the parameter. For UpdateItem and DeleteItem (they
// name their key) and PutItem (its item holds the key: workerData.keys names its attributes) the worker adds it,
// read right after the failure on this same thread.
const WRITES = new Set(['UpdateItem', 'DeleteItem', 'PutItem']);
const keyOf = (input) => input.Key ?? (input.Item && Object.fromEntries((workerData.keys ?? []).map((k) => [k, input.Item[k]])));

function handle(msg) {
  const target = msg.headers['x-amz-target'] ?? '';
  const op = target.slice(target.indexOf('.') + 1);
  if (!WRITES.has(op) || !msg.body.includes('ReturnValuesOnConditionCheckFailure')) return serve(msg, post);
  serve(msg, (reply) => {
    if (reply.statusCode !== 400 || !reply.body.includes('ConditionalCheckFailedException')) return post(reply);
    // Parsed only now: a write that succeeds (most) costs this thread no second parse of its body.
    const input = JSON.parse(msg.body);
    if (input.ReturnValuesOnConditionCheckFailure !== 'ALL_OLD' || !keyOf(input)) return post(reply);
    const get = { ...msg, headers: { ...msg.headers, 'x-amz-target': target.replace(op, 'GetItem') } };
    get.body = JSON.stringify({ TableName: input.TableName, Key: keyOf(input), ConsistentRead: true });
    serve(get, (got) => {
      const item = got.statusCode === 200 ? JSON.parse(got.body).Item : undefined;
      if (!item) return post(reply);
      const body = JSON.stringify({ ...JSON.parse(reply.body), Item: item });
      const headers = { ...reply.headers, 'content-length': String(Buffer.byteLength(body)) };
      delete headers['x-amz-crc32'];
      post({ ...reply, headers, body });
    });
  });
}

parentPort.on('message', (msg) => {
  if (msg.close) server.close(() => parentPort.postMessage({ closed: true }));
  else handle(msg);
});

server.listen(workerData.port ?? 0, '127.0.0.1', () => parentPort.postMessage({ listening: server.address().port }));
server.on('error', (err) => parentPort.postMessage({ error: String(err) }));
