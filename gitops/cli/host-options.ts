// The Git host a command talks to: flags, falling back to POSBON_GIT_* variables; the token only ever from the environment.
import { InputError } from '../../lib/errors/index.js';
import type { GitHost } from '../hosts/git-host.js';
import { GiteaHost } from '../hosts/gitea.js';
import { GitHubHost } from '../hosts/github.js';

export const HOST_FLAGS = {
  host: { type: 'string' },
  url: { type: 'string' },
  repo: { type: 'string' },
} as const;

export const HOST_USAGE = '[--host gitea|github] [--url URL] [--repo OWNER/NAME]   (token in POSBON_GIT_TOKEN)';

export function hostFrom(values: { host?: string | undefined; url?: string | undefined; repo?: string | undefined }, env: NodeJS.ProcessEnv): GitHost {
  const kind = values.host ?? env.POSBON_GIT_HOST ?? 'gitea';
  const repo = values.repo ?? env.POSBON_GIT_REPO;
  const token = env.POSBON_GIT_TOKEN;
  if (!repo || !/^[^/\s]+\/[^/\s]+$/.test(repo)) throw new InputError('--repo', 'OWNER/NAME is required (or POSBON_GIT_REPO)');
  if (!token) throw new InputError('POSBON_GIT_TOKEN', 'the host token is required in the environment');
  const [owner, name] = repo.split('/') as [string, string];
  const url = values.url ?? env.POSBON_GIT_URL;
  if (kind === 'gitea') {
    if (!url) throw new InputError('--url', 'the Gitea URL is required (or POSBON_GIT_URL)');
    return GiteaHost.create({ url, owner, repo: name, token });
  }
  if (kind === 'github') return GitHubHost.create({ url: url ?? 'https://api.github.com', owner, repo: name, token, ...(env.POSBON_GIT_BOT ? { bot: env.POSBON_GIT_BOT } : {}) });
  throw new InputError('--host', `${kind} is not one of gitea, github`);
}
