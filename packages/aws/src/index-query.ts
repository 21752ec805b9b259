import { QueryCommand, type QueryCommandInput } from '@aws-sdk/lib-dynamodb';
import type { Incident } from '@alert-router/core';
import type { Runtime } from './runtime';
import { toIncident } from './store';

/** Incidents of one index query, newest first, fetched `chunk` at a time as they are pulled (stop pulling, stop reading). */
export async function* queryDescending(
  rt: Pick<Runtime, 'db' | 'config'>,
  input: Omit<QueryCommandInput, 'TableName'>,
  chunk: number,
): AsyncGenerator<Incident> {
  let start: Record<string, unknown> | undefined;
  do {
    const r = await rt.db.send(new QueryCommand({ ...input, TableName: rt.config.tableName, ScanIndexForward: false, ExclusiveStartKey: start, Limit: chunk }));
    for (const item of r.Items ?? []) {
      const i = toIncident(item);
      if (i) yield i;
    }
    start = r.LastEvaluatedKey;
  } while (start);
}
