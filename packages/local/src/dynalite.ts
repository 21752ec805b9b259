import { CreateTableCommand, DescribeTableCommand, DynamoDBClient, ResourceInUseException } from '@aws-sdk/client-dynamodb';
import { createTableInput, registerInProcessEndpoint } from '@alert-router/aws';
import { Readable } from 'node:stream';
import type { IncomingMessage, RequestListener, ServerResponse } from 'node:http';
import { createRequire } from 'node:module';
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';

const require = createRequire(import.meta.url);

export interface LocalDynamo {
  endpoint: string;
  close(): Promise<void>;
}

/**
 * An in-process DynamoDB (dynalite) on loopback: in memory by default, in a LevelDB folder with `path`
 * so that a restart loses nothing.
 */
export async function startDynalite(opts: { path?: string; port?: number } = {}): Promise<LocalDynamo> {
  const dynalite = require('dynalite') as (o: Record<string, unknown>) => Server;
  const server = dynalite({ path: opts.path, createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  const endpoint = `http://127.0.0.1:${port}`;
  const unregister = registerInProcessEndpoint(endpoint, inProcessHandler(server.listeners('request')[0] as RequestListener));
  return {
    endpoint,
    close: () =>
      new Promise<void>((resolve) => {
        unregister();
        server.close(() => resolve());
      }),
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

/**
 * An AWS SDK request handler that hands each request straight to dynalite's request listener: the same
 * DynamoDB JSON protocol and the same dynalite, without a loopback socket and HTTP parsing on both sides.
 */
function inProcessHandler(listener: RequestListener) {
  return {
    metadata: { handlerProtocol: 'http/1.1' },
    updateHttpClientConfig: () => undefined,
    httpHandlerConfigs: () => ({}),
    destroy: () => undefined,
    handle: (request: { method: string; path: string; headers: Record<string, string>; body?: unknown }) =>
      new Promise<{ response: { statusCode: number; headers: Record<string, string>; body: Readable } }>((resolve, reject) => {
        const raw = request.body as string | Uint8Array | undefined;
        const body = raw instanceof Uint8Array ? Buffer.from(raw.buffer, raw.byteOffset, raw.byteLength) : Buffer.from(raw ?? '');
        const req = Object.assign(Readable.from([body]), {
          headers: Object.fromEntries(Object.entries(request.headers).map(([k, v]) => [k.toLowerCase(), v])),
          method: request.method,
          url: request.path,
        }) as unknown as IncomingMessage;
        const headers: Record<string, string> = {};
        const res = {
          statusCode: 200,
          contentType: undefined as string | undefined,
          setHeader: (k: string, v: unknown) => void (headers[k.toLowerCase()] = String(v)),
          getHeader: (k: string) => headers[k.toLowerCase()],
          removeHeader: (k: string) => void delete headers[k.toLowerCase()],
          end(data?: string | Buffer) {
            resolve({ response: { statusCode: this.statusCode, headers, body: Readable.from([Buffer.from(data ?? '')]) } });
          },
        };
        try {
          listener(req, res as unknown as ServerResponse);
        } catch (err) {
          reject(err);
        }
      }),
  };
}
