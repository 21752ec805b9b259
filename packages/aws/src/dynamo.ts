import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';

type RequestHandler = NonNullable<ConstructorParameters<typeof DynamoDBClient>[0]>['requestHandler'];
const inProcess = new Map<string, RequestHandler>();

/**
 * Local mode: requests for `endpoint` are handed to an in-process server (dynalite) without a socket.
 * The endpoint stays a real loopback URL for other tools; only this process's clients take the short cut.
 */
export function registerInProcessEndpoint(endpoint: string, handler: RequestHandler): () => void {
  inProcess.set(endpoint, handler);
  return () => inProcess.delete(endpoint);
}

/**
 * In process nobody checks signatures (dynalite only wants the headers to be there): skipping SigV4 saves a
 * SHA-256 and five HMACs per request.
 */
const unsignedSigner = {
  sign: async <T extends { headers: Record<string, string> }>(request: T): Promise<T> => {
    request.headers['x-amz-date'] = '19700101T000000Z';
    request.headers.authorization = 'AWS4-HMAC-SHA256 Credential=local/19700101/local/dynamodb/aws4_request, SignedHeaders=host, Signature=unsigned';
    return request;
  },
};

/** Document client; a local endpoint (dynalite) gets dummy credentials, AWS gets the default chain. */
export function createDocumentClient(opts: { region: string; endpoint?: string | null; maxAttempts?: number }): DynamoDBDocumentClient {
  const local = opts.endpoint ? inProcess.get(opts.endpoint) : undefined;
  const client = new DynamoDBClient({
    region: opts.region,
    maxAttempts: opts.maxAttempts ?? 4,
    ...(opts.endpoint ? { endpoint: opts.endpoint, credentials: { accessKeyId: 'local', secretAccessKey: 'local' } } : {}),
    ...(local ? { requestHandler: local, signer: unsignedSigner } : {}),
  });
  return DynamoDBDocumentClient.from(client, {
    // allowImpreciseNumbers: a threshold of 10 PB in bytes (1e16) is beyond 2^53; it is stored as the number it is.
    marshallOptions: { removeUndefinedValues: true, convertEmptyValues: false, allowImpreciseNumbers: true },
  });
}

/** Counts every request a client sends (benchmarks and the one-round-trip test read it). */
export function countRequests(doc: DynamoDBDocumentClient): { readonly total: number; byCommand: Map<string, number>; reset(): void } {
  const counter = {
    total: 0,
    byCommand: new Map<string, number>(),
    reset() {
      counter.total = 0;
      counter.byCommand.clear();
    },
  };
  doc.middlewareStack.add(
    (next, context) => async (args) => {
      counter.total++;
      const name = context.commandName ?? 'unknown';
      counter.byCommand.set(name, (counter.byCommand.get(name) ?? 0) + 1);
      return next(args);
    },
    { step: 'initialize', name: 'requestCounter' },
  );
  return counter;
}
