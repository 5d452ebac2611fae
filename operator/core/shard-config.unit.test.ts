import { mediaNode, nvr } from '../../test/fixtures/fleet.js';
import { publishedCameras } from './fleet.js';
import { DEFAULT_RENDER_OPTIONS, contentHash, renderMediaMtxConfig } from './mediamtx.js';
import { openMediaMtxConfig } from './seal.js';
import type { ShardPlan } from './plan.js';
import { sealedShardConfig } from './shard-config.js';

const creds = { username: 'admin', password: 'p@ss' };
const members = [nvr('a-nvr', 's1', 3)].map((n) => ({ nvr: n, cameras: publishedCameras(n) }));
const shard: ShardPlan = { node: mediaNode('fsn1-a'), schools: ['s1'], members, cameraCount: 3 };
const confKey = 'k'.repeat(32);

describe('sealedShardConfig', () => {
  it('seals the rendered config and names it by the hash of the sealed text', () => {
    const config = sealedShardConfig(shard, () => creds, { render: DEFAULT_RENDER_OPTIONS, confKey, maxConfigBytes: 1_000_000 });
    if (!config.ok) throw new Error(config.message);
    expect([openMediaMtxConfig(config.sealed, confKey), config.hash, config.cameraCount]).toEqual([renderMediaMtxConfig(shard.node, members, () => creds).yaml, contentHash(config.sealed), 3]);
  });

  it('refuses with InvalidConfig what MediaMTX would refuse on load', () => {
    expect(sealedShardConfig(shard, () => creds, { render: { ...DEFAULT_RENDER_OPTIONS, apiAddress: '127.0.0.1:9997' }, confKey, maxConfigBytes: 1_000_000 })).toEqual({
      ok: false,
      reason: 'InvalidConfig',
      message: 'apiAddress: the control API must be a unix:// socket',
    });
  });

  it('refuses with ShardTooLarge a sealed config over the limit, saying the previous one stays', () => {
    const config = sealedShardConfig(shard, () => creds, { render: DEFAULT_RENDER_OPTIONS, confKey, maxConfigBytes: 100 });
    expect(config).toEqual({ ok: false, reason: 'ShardTooLarge', message: expect.stringMatching(/^the sealed config of 3 cameras is \d+ bytes, over the 100-byte limit; the previous config stays in place$/) });
  });
});
