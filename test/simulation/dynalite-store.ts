/**
 * The DynamoDB adapter on dynalite as the simulation runs it: without bursts, because dynalite answers from another
 * thread, so calls in flight together would finish in an order the seed does not decide.
 */
import { DynamoIncidentStore } from '@alert-router/aws';
import { localStore } from '../helpers/local-dynamo';
import { SIM_PACING, type SimStore } from './sim';

export async function dynaliteForSim(): Promise<SimStore> {
  const local = await localStore();
  return { store: new DynamoIncidentStore(local.db, local.tableName, undefined, SIM_PACING), close: local.close, bursts: false };
}
