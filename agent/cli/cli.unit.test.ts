import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { publicKeyOf } from '../../lib/wireguard/keys.js';
import type { CliIo } from './command.js';
import { main } from './main.js';

function io(env: NodeJS.ProcessEnv = {}): CliIo & { lines: { out: string[]; err: string[] } } {
  const lines = { out: [] as string[], err: [] as string[] };
  return { lines, out: (l) => lines.out.push(l), err: (l) => lines.err.push(l), env, cwd: process.cwd() };
}

describe('posbon-agent', () => {
  it.each<[string, string[], string]>([
    ['an unknown command', ['launch'], 'posbon-agent: unknown command launch; commands: page, pair, status, scan, diagnose, discover, submit, provision-faceid, tunnel'],
    ['a missing flag', ['submit', '--name', 'gate'], 'posbon-agent: --username is required'],
    ['a flag of another command', ['discover', '--school', 'school-a'], "posbon-agent: Unknown option '--school'"],
    ['a bad port', ['provision-faceid', '--school', 's', '--device', 'd', '--lan-host', '10.0.0.9', '--lan-port', '0', '--username', 'admin'], 'posbon-agent: --lan-port: must be a port number (1-65535), got "0"'],
    ['a bad NVR spec', ['tunnel', '--school', 'school-a', '--nvr', '192.168.10.5', '--offline'], 'posbon-agent: --nvr: IP:PORT[,PORT], got "192.168.10.5"'],
  ])('answers %s with exit 2 and one line', async (_what, argv, line) => {
    const cli = io({ POSBON_NVR_PASSWORD: 'secret' });
    expect(await main(argv, cli)).toBe(2);
    expect(cli.lines).toEqual({ out: [], err: [line] });
  });

  it('prints its commands with --help', async () => {
    const cli = io();
    expect(await main(['--help'], cli)).toBe(0);
    expect(cli.lines.out[0]!.split('\n').filter((l) => /^ {2}\S/.test(l)).map((l) => l.trim().split(' ')[0])).toEqual(['page', 'pair', 'status', 'scan', 'diagnose', 'discover', 'submit', 'provision-faceid', 'tunnel']);
  });

  it('tells a person what the tunnel command did, and a script the same as one JSON document', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'posbon-agent-cli-'));
    const args = ['tunnel', '--school', 'school-a', '--nvr', '192.168.10.5:554,80', '--dir', dir, '--offline'];
    const person = io();
    expect(await main(args, person)).toBe(0);
    const publicKey = publicKeyOf(await readFile(join(dir, 'private.key'), 'utf8'));
    expect(person.lines).toEqual({ out: [`gateway public key ${publicKey}`, `wrote ${join(dir, 'school-tunnel.yaml')}`], err: [] });

    const script = io();
    expect(await main([...args, '--json'], script)).toBe(0);
    expect(JSON.parse(script.lines.out.join('\n'))).toEqual({
      publicKey,
      files: [join(dir, 'school-tunnel.yaml')],
      proposal: `spec:\n  networkMode: tunnel\n  tunnel:\n    publicKey: ${publicKey}\n    expose:\n      - 192.168.10.5\n`,
    });
  });
});
