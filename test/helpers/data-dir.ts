import { SqliteSilenceStore } from '../../packages/local/src/sqlite-records';
import { SqliteIncidentStore } from '../../packages/local/src/sqlite-store';

export interface DataDirStores {
  incidents: SqliteIncidentStore;
  silences: SqliteSilenceStore;
}

/**
 * Opens the store of `npm start -- --data DIR` (SQLite, the default) from the test, with the router stopped, to seed
 * records the HTTP surface refuses or read ones it does not show.
 */
export async function withDataDir<T>(dir: string, use: (stores: DataDirStores) => Promise<T>): Promise<T> {
  const incidents = SqliteIncidentStore.inDirectory(dir);
  try {
    return await use({ incidents, silences: new SqliteSilenceStore(incidents.db) });
  } finally {
    incidents.close();
  }
}
