// posbon-media: Hetzner media nodes with static egress IPs. `pulumi up` in this folder; see the README, "Provision media nodes".
import * as pulumi from '@pulumi/pulumi';
import { mediaNodeStack } from './program.js';

const stack = await mediaNodeStack(new pulumi.Config());

export const nodes = stack.nodes;
export const retired = stack.retired;
