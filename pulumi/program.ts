// The media-node stack as a Pulumi program: validate the config, refuse an undrained removal, then declare the resources.
import { resolve } from 'node:path';
import * as pulumi from '@pulumi/pulumi';
import { typedFleet, readFleetTree } from '../gitops/index.js';
import { parseStackConfig, StackConfigError, type StackConfig } from './config.js';
import { provisionMediaNodes, type MediaNodeStack } from './media-nodes.js';
import { removalBlockers } from './removal.js';

const KEYS = ['pools', 'image', 'admin', 'cluster', 'dns', 'fleetDir'] as const;

/** Structured values reach the program as JSON text, plain ones as themselves. */
function configValue(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

/** The stack's settings from Pulumi config (objects as YAML in Pulumi.<stack>.yaml), validated in one pass. */
export function readStackConfig(config: pulumi.Config): StackConfig {
  const raw: Record<string, unknown> = {};
  for (const key of KEYS) {
    const text = config.get(key);
    if (text !== undefined) raw[key] = configValue(text);
  }
  return parseStackConfig(raw);
}

export async function mediaNodeStack(config: pulumi.Config): Promise<MediaNodeStack> {
  try {
    const stack = readStackConfig(config);
    const joinToken = config.getSecret('joinToken');
    if (joinToken === undefined)
      throw new StackConfigError('posbon-media:joinToken: is required (pulumi config set --secret joinToken)');
    const tree = await readFleetTree(resolve(stack.fleetDir)).catch((error: NodeJS.ErrnoException) => {
      throw new StackConfigError(
        `posbon-media:fleetDir: cannot read ${stack.fleetDir}: ${error.code ?? error.message}`,
      );
    });
    const blockers = removalBlockers(stack, typedFleet(tree).fleet);
    if (blockers.length > 0) throw new pulumi.RunError(`refusing to remove media nodes: ${blockers.join('; ')}`);
    return provisionMediaNodes(stack, joinToken);
  } catch (error) {
    // A RunError ends the program with its message alone, without a stack trace.
    if (error instanceof StackConfigError) throw new pulumi.RunError(error.message);
    throw error;
  }
}
