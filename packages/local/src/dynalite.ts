import { CreateTableCommand, DescribeTableCommand, DynamoDBClient, ResourceInUseException } from '@aws-sdk/client-dynamodb';
import { createTableInput, registerInProcessEndpoint, TABLE } from '@alert-router/aws';
import { Worker } from 'node:worker_threads';

export interface LocalDynamo {
  endpoint: string;
  close(): Promise<void>;
}

/**
 * An in-process DynamoDB (dynalite) on its own worker thread: in memory by default, in a LevelDB folder with
 * `path` so that a restart loses nothing. This process's SDK clients for `endpoint` talk to it over the thread's
 * message port (no socket); the endpoint is also a real loopback URL for other tools.
 */
export async function startDynalite(opts: { path?: string; port?: number } = {}): Promise<LocalDynamo> {
  const worker = new Worker(new URL('./dynalite-worker.mjs', import.meta.url), {
    workerData: { path: opts.path, port: opts.port, keys: [TABLE.partitionKey, TABLE.sortKey] },
  });
  const port = await new Promise<number>((resolve, reject) => {
    const onMessage = (msg: { listening?: number; error?: string }) => {
      if (msg.listening !== undefined) resolve(msg.listening);
      else if (msg.error) reject(new Error(`dynalite: ${msg.error}`));
    };
    worker.on('message', onMessage);
    worker.once('error', reject);
  });
  worker.removeAllListeners('message');
  const endpoint = `http://127.0.0.1:${port}`;
  const handler = workerRequestHandler(worker);
  const unregister = registerInProcessEndpoint(endpoint, handler);
  return {
    endpoint,
    close: async () => {
      unregister();
      await handler.close();
      await worker.terminate();
    },
  };
}

/** Creates the router's table with its indexes unless it exists (idempotent). */
export async function ensureTable(endpoint: string, tableName: string, region = 'us-east-1'): Promise<void> {
  const client = new DynamoDBClient({ endpoint, region, credentials: { accessKeyId: 'local', secretAccessKey: 'local' } });
  try {
    await client.send(new CreateTableCommand(createTableInput(tableName)));
  } catch (err) {
    if (!(err instanceof ResourceInUseException) && (err as Error).name !== 'ResourceInUseException') throw err;
  }
  for (let i = 0; i < 50; i++) {
    const d = await client.send(new DescribeTableCommand({ TableName: tableName }));
    if (d.Table?.TableStatus === 'ACTIVE' && (d.Table.GlobalSecondaryIndexes ?? []).every((g) => g.IndexStatus === 'ACTIVE')) break;
    await new Promise((r) => setTimeout(r, 20));
  }
  client.destroy();
}

interface WorkerReply {
  id?: number;
  statusCode?: number;
  headers?: Record<string, string>;
  body?: string;
  closed?: boolean;
}

/** An AWS SDK request handler that hands each request to the dynalite thread: the same DynamoDB JSON protocol, no socket. */
function workerRequestHandler(worker: Worker) {
  type Pending = (reply: WorkerReply) => void;
  const pending = new Map<number, Pending>();
  let nextId = 0;
  let onClosed: (() => void) | undefined;
  worker.on('message', (reply: WorkerReply) => {
    if (reply.closed) return onClosed?.();
    const done = pending.get(reply.id!);
    pending.delete(reply.id!);
    done?.(reply);
  });
  worker.on('error', (err) => {
    for (const done of pending.values()) done({ statusCode: 500, headers: {}, body: JSON.stringify({ __type: 'InternalFailure', message: String(err) }) });
    pending.clear();
  });
  return {
    metadata: { handlerProtocol: 'http/1.1' },
    updateHttpClientConfig: () => undefined,
    httpHandlerConfigs: () => ({}),
    destroy: () => undefined,
    handle: (request: { method: string; path: string; headers: Record<string, string>; body?: unknown }) =>
      new Promise<{ response: { statusCode: number; headers: Record<string, string>; body: Uint8Array } }>((resolve) => {
        const id = nextId++;
        const raw = request.body as string | Uint8Array | undefined;
        const headers: Record<string, string> = {};
        for (const [k, v] of Object.entries(request.headers)) headers[k.toLowerCase()] = v;
        pending.set(id, (reply) =>
          resolve({ response: { statusCode: reply.statusCode ?? 500, headers: reply.headers ?? {}, body: Buffer.from(reply.body ?? '') } }),
        );
        worker.postMessage({
          id,
          method: request.method,
          path: request.path,
          headers,
          body: typeof raw === 'string' ? raw : raw ? Buffer.from(raw.buffer, raw.byteOffset, raw.byteLength).toString() : '',
        });
      }),
    /** Lets dynalite finish its writes and close LevelDB (a --data folder must be consistent on exit). */
    close: () =>
      new Promise<void>((resolve) => {
        onClosed = resolve;
        worker.postMessage({ close: true });
        setTimeout(resolve, 5000).unref();
      }),
  };
}
