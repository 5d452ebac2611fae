// A shard's sealed MediaMTX config, or the terminal reason it cannot be published: what MediaMTX would refuse,
// or what the API server could not hold.
import type { Nvr } from '../../crds/index.js';
import { contentHash, renderShardConfig, type NvrCredentials, type RenderOptions } from './mediamtx.js';
import { sealMediaMtxConfig } from './seal.js';
import type { ShardPlan } from './plan.js';

export type ShardConfig =
  | { ok: true; sealed: string; hash: string; cameraCount: number }
  | { ok: false; reason: 'InvalidConfig' | 'ShardTooLarge'; message: string };

export function sealedShardConfig(
  shard: ShardPlan,
  credentials: (nvr: Nvr) => NvrCredentials | undefined,
  options: { render: RenderOptions; confKey: string; maxConfigBytes: number },
): ShardConfig {
  const result = renderShardConfig(shard.node, shard.members, credentials, options.render);
  const { problems } = result;
  if (problems.length > 0) return { ok: false, reason: 'InvalidConfig', message: problems.slice(0, 5).join('; ') };
  const sealed = sealMediaMtxConfig(result.yaml, options.confKey);
  if (sealed.length > options.maxConfigBytes) {
    return {
      ok: false,
      reason: 'ShardTooLarge',
      message: `the sealed config of ${result.cameraCount} cameras is ${sealed.length} bytes, over the ${options.maxConfigBytes}-byte limit; the previous config stays in place`,
    };
  }
  return { ok: true, sealed, hash: contentHash(sealed), cameraCount: result.cameraCount };
}
