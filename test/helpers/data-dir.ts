import { createDocumentClient } from '@alert-router/aws';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { startDynalite } from '../../packages/local/src/dynalite';

/** The table `npm start` creates in its store. */
export const LOCAL_TABLE = 'alert-router-local';

/**
 * Opens the store of `npm start -- --data DIR` from the test (the router must be stopped: dynalite keeps one
 * LevelDB open), to seed records the HTTP surface refuses or read ones it does not show.
 */
export async function withDataDir<T>(dir: string, use: (doc: DynamoDBDocumentClient, table: string) => Promise<T>): Promise<T> {
  const dynamo = await startDynalite({ path: dir });
  const doc = createDocumentClient({ region: 'us-east-1', endpoint: dynamo.endpoint });
  try {
    return await use(doc, LOCAL_TABLE);
  } finally {
    doc.destroy();
    await dynamo.close();
  }
}
