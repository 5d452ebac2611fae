// `npm run agent -- <command>` (bin.ts): the LAN agent, one module per command. Secrets come from the environment or files,
// never from flags, so they stay out of shell history and process lists. `--json` prints one JSON document.
// Environment: the paired credentials (POSBON_AGENT_CREDENTIALS names their file), or for automation POSBON_API_URL
// with POSBON_AGENT_TOKEN or POSBON_AGENT_TOKEN_FILE; and the device password in
// POSBON_NVR_PASSWORD or the file named by --password-file.
// Exit codes: 0 done, 1 anything unforeseen, 2 bad usage, 3 a device or mapping problem to fix at the school,
// 4 the API refused, 5 the API could not be reached.
import { runProgram, type CliIo, type Program } from '../../lib/cli/command.js';
import { ERROR_PREFIX } from './command.js';
import { diagnoseCli } from './diagnose.js';
import { discoverCommand } from './discover.js';
import { pageCli } from './page.js';
import { pairCli } from './pair.js';
import { scanCli } from './scan.js';
import { statusCli } from './status.js';
import { provisionFaceIdCommand } from './provision-faceid.js';
import { submitCommand } from './submit.js';
import { tunnelCommand } from './tunnel.js';

const PROGRAM: Program = {
  name: 'posbon-agent',
  commands: [pageCli, pairCli, statusCli, scanCli, diagnoseCli, discoverCommand, submitCommand, provisionFaceIdCommand, tunnelCommand],
  errorPrefix: ERROR_PREFIX,
};

export const main = (argv: string[], io: CliIo): Promise<number> => runProgram(PROGRAM, argv, io);

