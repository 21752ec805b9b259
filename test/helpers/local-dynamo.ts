import { createDocumentClient, countRequests, DynamoIncidentStore } from '@alert-router/aws';
import { ensureTable, startDynalite } from '../../packages/local/src/dynalite';

let tables = 0;

/** A fresh dynalite on loopback with the router's table, a store on it and a request counter. */
export async function localStore(tableName = `router-test-${++tables}`) {
  const dynamo = await startDynalite();
  await ensureTable(dynamo.endpoint, tableName);
  const db = createDocumentClient({ region: 'us-east-1', endpoint: dynamo.endpoint });
  const requests = countRequests(db);
  const store = new DynamoIncidentStore(db, tableName);
  return {
    endpoint: dynamo.endpoint,
    tableName,
    db,
    store,
    requests,
    close: async () => {
      db.destroy();
      await dynamo.close();
    },
  };
}
