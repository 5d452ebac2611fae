// The first SUPER_ADMIN of an empty database. Its generated password and TOTP secret are shown once: on the
// terminal of `npm start`, or in production only in a 0600 file, because a pod's stdout is its log pipeline.
import { open, mkdir } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import type { Accounts } from './identity/accounts.js';

export const BOOTSTRAP_USERNAME = 'admin';

export interface BootstrapOptions {
  accounts: Accounts;
  production: boolean;
  /** Production only: where the credential is written. */
  credentialFile: string;
  apiUrl: string;
  /** The embedded default: a later start says how to reset a lost credential. */
  embedded?: boolean;
}

/** Creates the first admin when there is no account; returns the lines for the start banner (no secret in production). */
export async function bootstrapAdmin(options: BootstrapOptions): Promise<string[]> {
  if ((await options.accounts.count()) > 0) {
    return options.embedded
      ? ['', `The admin was created on the first run (its credential was shown then). Lost it? npm run admin -- reset-password ${BOOTSTRAP_USERNAME}`]
      : [];
  }
  if (!options.production) {
    const admin = await options.accounts.create({ username: BOOTSTRAP_USERNAME, role: 'SUPER_ADMIN', schools: [] });
    return [
      '',
      'Bootstrap admin (shown once, not stored in plain text anywhere; change the password at first login):',
      `  username  ${BOOTSTRAP_USERNAME}`,
      `  password  ${admin.initialPassword}`,
      `  TOTP      ${admin.totpUri}`,
      `  TOTP key  ${admin.totpSecret} (type it into an authenticator app, or use the URI above as a QR code)`,
      `  console:  ${options.apiUrl}/ with the password and the 6-digit code from the authenticator`,
      `  curl:     curl -s ${options.apiUrl}/auth/login -H 'content-type: application/json' \\`,
      `              -d '{"username":"${BOOTSTRAP_USERNAME}","password":"${admin.initialPassword}","totp":"<code from your authenticator>"}'`,
      `  then:     POST ${options.apiUrl}/auth/password {"currentPassword": ..., "newPassword": ...}`,
    ];
  }
  const path = resolve(options.credentialFile);
  await mkdir(dirname(path), { recursive: true, mode: 0o700 });
  // Opened before the account exists, and never over an existing file: a failure leaves no admin nobody can reach.
  const file = await open(path, 'wx', 0o600).catch((error: NodeJS.ErrnoException) => {
    throw new Error(
      `bootstrap: cannot create ${path} for the first admin's credential (${error.code ?? error.message}); ` +
        'set POSBON_BOOTSTRAP_CREDENTIAL_FILE to a new file on a writable volume, or remove the stale one',
    );
  });
  try {
    const admin = await options.accounts.create({ username: BOOTSTRAP_USERNAME, role: 'SUPER_ADMIN', schools: [] });
    await file.writeFile(
      [
        '# Posbon bootstrap admin: log in once, change the password (POST /auth/password), then delete this file.',
        `username=${BOOTSTRAP_USERNAME}`,
        `password=${admin.initialPassword}`,
        `totp_secret=${admin.totpSecret}`,
        `totp_uri=${admin.totpUri}`,
        '',
      ].join('\n'),
    );
  } finally {
    await file.close();
  }
  return ['', `Bootstrap admin "${BOOTSTRAP_USERNAME}": credential written to ${path} (mode 0600), not to this log; read it once, then delete it.`];
}
