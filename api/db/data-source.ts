// The API's PostgreSQL: TypeORM over a pg pool, schema by migrations only (never synchronize).
import pg from 'pg';
import { DataSource, type MigrationInterface } from 'typeorm';
import { AccountRow } from './entities/account.js';
import { AgentTokenRow } from './entities/agent-token.js';
import { AttendanceEventRow } from './entities/attendance-event.js';
import { AuditEntryRow } from './entities/audit-entry.js';
import { DeviceSecretRow } from './entities/device-secret.js';
import { RefreshTokenRow } from './entities/refresh-token.js';
import { SeenWebhookIdRow } from './entities/seen-webhook-id.js';
import { SessionRow } from './entities/session.js';
import { Attendance1763800000000 } from './migrations/1763800000000-attendance.js';
import { AccountsAudit1763900000000 } from './migrations/1763900000000-accounts-audit.js';
import { PupilWindowIndex1764000000000 } from './migrations/1764000000000-pupil-window-index.js';
import { AgentTokens1764100000000 } from './migrations/1764100000000-agent-tokens.js';
import { AccountLifecycle1764200000000 } from './migrations/1764200000000-account-lifecycle.js';
import { EventAuth1764300000000 } from './migrations/1764300000000-event-auth.js';
import { AttendancePartitions1764500000000 } from './migrations/1764500000000-attendance-partitions.js';
import { TotpEnrolment1764600000000 } from './migrations/1764600000000-totp-enrolment.js';
import { SchoolDayIndex1764650000000 } from './migrations/1764650000000-school-day-index.js';
import { AgentPairing1764700000000 } from './migrations/1764700000000-agent-pairing.js';
import { AttendanceRecordBatch1764800000000 } from './migrations/1764800000000-attendance-record-batch.js';
import { assertSchemaCurrent } from './migrate.js';

export const entities = [
  AttendanceEventRow,
  DeviceSecretRow,
  SeenWebhookIdRow,
  AccountRow,
  SessionRow,
  RefreshTokenRow,
  AuditEntryRow,
  AgentTokenRow,
];

/** In order; a new migration is appended here. */
export const migrations = [
  Attendance1763800000000,
  AccountsAudit1763900000000,
  PupilWindowIndex1764000000000,
  AgentTokens1764100000000,
  AccountLifecycle1764200000000,
  EventAuth1764300000000,
  AttendancePartitions1764500000000,
  TotpEnrolment1764600000000,
  SchoolDayIndex1764650000000,
  AgentPairing1764700000000,
  AttendanceRecordBatch1764800000000,
];

type DataSourceMigrations = (new () => MigrationInterface)[];

export interface DatabaseOptions {
  url: string;
  poolSize?: number;
  /** How long a request waits for a connection before the API answers 503. */
  connectTimeoutMs?: number;
  /** 10 s by default; 0 for none, as a migration copying a large table needs. */
  queryTimeoutMs?: number;
}

export function createDataSource(options: DatabaseOptions, list: DataSourceMigrations = migrations): DataSource {
  return new DataSource({
    type: 'postgres',
    // Given, not looked up by name at run time: a bundled image has no node_modules for TypeORM to find pg in.
    driver: pg,
    url: options.url,
    entities,
    migrations: list,
    synchronize: false,
    migrationsRun: false,
    extra: {
      max: options.poolSize ?? 10,
      connectionTimeoutMillis: options.connectTimeoutMs ?? 3000,
      // A statement stuck behind a dying server must fail so the request can answer 503.
      ...(options.queryTimeoutMs === 0 ? {} : { query_timeout: options.queryTimeoutMs ?? 10_000 }),
    },
  });
}

/** Connects and refuses a schema other than this build's (see migrate.ts); it never migrates. */
export async function openDatabase(options: DatabaseOptions): Promise<{ dataSource: DataSource }> {
  const dataSource = createDataSource(options);
  await dataSource.initialize();
  try {
    await assertSchemaCurrent(dataSource);
  } catch (error) {
    await dataSource.destroy();
    throw error;
  }
  return { dataSource };
}
