import type { CliIo } from './command.js';
import { protectCommand } from './protect.js';

function io(env: NodeJS.ProcessEnv): CliIo & { lines: string[] } {
  const lines: string[] = [];
  return { lines, out: (l) => lines.push(l), err: (l) => lines.push(l), env, cwd: process.cwd() };
}

const host = { POSBON_GIT_HOST: 'github', POSBON_GIT_URL: 'http://127.0.0.1:9', POSBON_GIT_REPO: 'platform/fleet', POSBON_GIT_TOKEN: 't0ken' };

describe('posbon-gitops protect', () => {
  it.each<[string, NodeJS.ProcessEnv, string]>([
    ['no bot', host, 'error: --bot: the login that opens proposals is required (or POSBON_GIT_BOT)'],
    ['an App id that is not a number', { ...host, POSBON_GIT_BOT: 'posbon[bot]', POSBON_GIT_APP_ID: 'posbon' }, 'error: --bot-app-id: posbon is not a GitHub App id'],
    ['a GitHub bot without its App id', { ...host, POSBON_GIT_BOT: 'posbon[bot]' }, 'error: bot: on GitHub the bot is an App, whose id pins posbon/verify and the proposal branches to it (--bot-app-id)'],
  ])('refuses %s with one line and the usage exit code, before calling the host', async (_name, env, expected) => {
    const cli = io(env);
    expect(await protectCommand.run(['--owners', 'alice,bob'], cli)).toBe(2);
    expect(cli.lines).toEqual([expected]);
  });
});
