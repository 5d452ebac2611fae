// `posbon credentials-backup export FILE | import FILE` (npm run credentials-backup): the fleet namespace's NVR
// credential Secrets to and from a sealed file. KUBECONFIG (or in-cluster), POSBON_FLEET_NAMESPACE, and
// POSBON_CREDENTIALS_BACKUP_KEY_FILE: a file holding 32 random bytes, base64, kept apart from every backup.
import { readFile, writeFile } from 'node:fs/promises';
import { loadKubeConfig } from '../../lib/kube/index.js';
import { redactText } from '../../lib/log/logger.js';
import { CredentialsBackup } from './credentials-backup.js';
import { FLEET_NAMESPACE } from '../../crds/index.js';

const fail = (message: string, code: number): never => {
  process.stderr.write(`posbon credentials-backup: ${message}\n`);
  process.exit(code);
};

const [command, file] = process.argv.slice(2);
if ((command !== 'export' && command !== 'import') || !file) fail('usage: credentials-backup export|import FILE', 2);
const keyFile =
  process.env.POSBON_CREDENTIALS_BACKUP_KEY_FILE ?? fail('POSBON_CREDENTIALS_BACKUP_KEY_FILE is not set', 2);
const namespace = process.env.POSBON_FLEET_NAMESPACE || FLEET_NAMESPACE;
try {
  const key = Buffer.from((await readFile(keyFile, 'utf8')).trim(), 'base64');
  const kc = loadKubeConfig();
  const backup = CredentialsBackup.create({ kc, namespace, key });
  if (command === 'export') {
    const { sealed, count } = await backup.export();
    await writeFile(file!, sealed, { mode: 0o600 });
    process.stdout.write(`posbon credentials-backup: ${count} Secrets of ${namespace} sealed into ${file}\n`);
  } else {
    const { created, present } = await backup.import(await readFile(file!));
    process.stdout.write(
      `posbon credentials-backup: ${created.length} Secrets created in ${namespace}, ${present.length} already present\n`,
    );
  }
} catch (error) {
  fail(redactText((error as Error).message), 1);
}
