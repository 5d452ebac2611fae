// The admin CLI's way into the API's database: DATABASE_URL, or the embedded default of `npm start` (used as it
// runs, or started for the command and stopped after), with the same sealing key the API uses.
import type { DataSource } from 'typeorm';
import { openDatabase } from '../../db/data-source.js';
import { apiConfig } from '../config.js';
import { Accounts } from '../identity/accounts.js';
import { localKeys } from '../local-keys.js';
import { runningLocalPostgresUrl, startLocalPostgres } from '../local-postgres.js';

export interface AdminDatabase {
  accounts: Accounts;
  dataSource: DataSource;
  close(): Promise<void>;
}

export async function openAdminDatabase(env: NodeJS.ProcessEnv): Promise<AdminDatabase> {
  const config = apiConfig(env);
  const running = config.databaseUrl ? undefined : await runningLocalPostgresUrl(config.dataDir, config.embeddedPgPort);
  const embedded =
    config.databaseUrl || running ? undefined : await startLocalPostgres(config.dataDir, config.embeddedPgPort);
  try {
    const { dataSource } = await openDatabase({ url: config.databaseUrl ?? running ?? embedded!.url, poolSize: 2 });
    const sealingKey = config.totpSealingKey ?? (await localKeys(config.dataDir)).totpSealingKey;
    return {
      accounts: Accounts.create({ dataSource, sealingKey, throttle: config.loginThrottle }),
      dataSource,
      async close() {
        await dataSource.destroy();
        await embedded?.stop();
      },
    };
  } catch (error) {
    await embedded?.stop();
    throw error;
  }
}
