// `page [--port N] [--no-open]`: serves the agent's page on 127.0.0.1 and opens it in the user's browser; the
// address carries this launch's token, so only the person who started the agent can use the page.
import { spawn } from 'node:child_process';
import { parseArgs } from 'node:util';
import { startLocalPage } from '../page/server.js';
import { fail, type Command } from './command.js';

const opener = (): [string, string[]] =>
  process.platform === 'win32' ? ['cmd', ['/c', 'start', '""']] : process.platform === 'darwin' ? ['open', []] : ['xdg-open', []];

export async function pageCommand(args: string[]): Promise<never> {
  const { values } = parseArgs({ args, strict: true, options: { port: { type: 'string' }, 'no-open': { type: 'boolean' } } });
  const page = await startLocalPage(values.port ? { port: Number(values.port) } : {});
  process.stderr.write(`posbon-agent: the page is at ${page.url}\n`);
  if (!values['no-open']) {
    const [command, prefix] = opener();
    spawn(command, [...prefix, page.url], { stdio: 'ignore', detached: true }).on('error', () => undefined).unref();
  }
  return new Promise<never>(() => undefined);
}

export const pageCli: Command = {
  name: 'page',
  summary: 'the agent\'s page on 127.0.0.1, opened in the browser: pair, scan, router guidance, test, submit, provision',
  usage: 'page [--port N] [--no-open]',
  async run(args, io) {
    try {
      return await pageCommand(args);
    } catch (error) {
      return fail(error, io);
    }
  },
};
