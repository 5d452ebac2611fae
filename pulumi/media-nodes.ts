// The Hetzner resources of the media nodes: kept Primary IPs with reverse DNS, spread servers joined to the cluster, one firewall.
import { createHash } from 'node:crypto';
import * as hcloud from '@pulumi/hcloud';
import * as pulumi from '@pulumi/pulumi';
import { renderCloudInit } from './cloud-init.js';
import type { StackConfig } from './config.js';
import { firewallRules } from './firewall.js';
import { planNodes, retiredNodes, type PlannedNode } from './nodes.js';
import { MEDIA_NODE_LABEL } from '../operator/core/index.js';
import { POOL_LABEL, type NodeOutput, type RetiredOutput } from './outputs.js';

const MANAGED = { 'app.kubernetes.io/managed-by': 'pulumi', 'app.kubernetes.io/part-of': 'posbon' };

const numericId = (resource: pulumi.CustomResource): pulumi.Output<number> => resource.id.apply(Number);

interface NodeAddresses {
  ipv4: hcloud.PrimaryIp;
  ipv6: hcloud.PrimaryIp;
  /** The node's IPv6 address: a Primary IPv6 is a /64, and Hetzner's images configure its ::1 on the server. */
  ipv6Address: pulumi.Output<string>;
}

/** `2001:db8:1::/64` → `2001:db8:1::1`. The provider writes the network in compressed form, so it ends in `::`. */
export function firstHost(network: string): string {
  const prefix = network.replace(/\/64$/, '');
  if (!prefix.endsWith('::') || prefix === network) throw new Error(`unexpected IPv6 network ${network}`);
  return `${prefix}1`;
}

/**
 * A node's egress addresses, made apart from its server so that replacing or resizing the server keeps them:
 * never deleted with a server (autoDelete false), refused by Hetzner (deleteProtection) and by Pulumi (protect).
 */
function primaryIps(node: { name: string; pool: string; location: string }, mediaHostname: string): NodeAddresses {
  const make = (type: 'ipv4' | 'ipv6') =>
    new hcloud.PrimaryIp(
      `${node.name}-${type}`,
      {
        name: `${node.name}-${type}`,
        type,
        location: node.location,
        assigneeType: 'server',
        autoDelete: false,
        deleteProtection: true,
        labels: { ...MANAGED, [MEDIA_NODE_LABEL]: node.name, [POOL_LABEL]: node.pool },
      },
      { protect: true },
    );
  const ipv4 = make('ipv4');
  const ipv6 = make('ipv6');
  const ipv6Address = ipv6.ipNetwork.apply(firstHost);
  new hcloud.Rdns(`${node.name}-ipv4-rdns`, {
    primaryIpId: numericId(ipv4),
    ipAddress: ipv4.ipAddress,
    dnsPtr: mediaHostname,
  });
  new hcloud.Rdns(`${node.name}-ipv6-rdns`, {
    primaryIpId: numericId(ipv6),
    ipAddress: ipv6Address,
    dnsPtr: mediaHostname,
  });
  return { ipv4, ipv6, ipv6Address };
}

export interface MediaNodeStack {
  nodes: pulumi.Output<NodeOutput[]>;
  retired: pulumi.Output<RetiredOutput[]>;
}

export function provisionMediaNodes(config: StackConfig, joinToken: pulumi.Output<string>): MediaNodeStack {
  const planned = planNodes(config);
  const firewall = new hcloud.Firewall('media-nodes', {
    name: 'posbon-media-nodes',
    labels: MANAGED,
    rules: firewallRules(config.admin),
  });
  const sshKeys = config.admin.sshKeys.map((publicKey) => {
    // Named by the key itself, so adding or removing one key leaves the others alone.
    const name = `admin-${createHash('sha256').update(publicKey).digest('hex').slice(0, 12)}`;
    return new hcloud.SshKey(name, { name: `posbon-${name}`, publicKey, labels: MANAGED });
  });
  const groups = new Map<string, hcloud.PlacementGroup>();
  for (const group of [...new Set(planned.map((n) => n.placementGroup))].sort()) {
    groups.set(group, new hcloud.PlacementGroup(group, { name: `posbon-${group}`, type: 'spread', labels: MANAGED }));
  }

  const server = (node: PlannedNode, addresses: NodeAddresses) =>
    new hcloud.Server(
      node.name,
      {
        name: node.name,
        serverType: node.serverType,
        image: config.image,
        location: node.location,
        sshKeys: sshKeys.map((k) => k.id),
        publicNets: [
          { ipv4Enabled: true, ipv4: numericId(addresses.ipv4), ipv6Enabled: true, ipv6: numericId(addresses.ipv6) },
        ],
        networks: [{ networkId: config.cluster.networkId }],
        placementGroupId: numericId(groups.get(node.placementGroup)!),
        firewallIds: [numericId(firewall)],
        labels: {
          ...MANAGED,
          [MEDIA_NODE_LABEL]: node.name,
          [POOL_LABEL]: node.pool,
          'posbon.io/ordinal': String(node.ordinal),
        },
        userData: pulumi.secret(joinToken.apply((token) => renderCloudInit(node, config.cluster, token))),
        shutdownBeforeDeletion: true,
      },
      {
        // A new server type is a new machine: the old one goes first, since a Primary IP is assigned to one server at a time.
        replaceOnChanges: ['serverType'],
        deleteBeforeReplace: true,
        // cloud-init, keys and image matter at creation only: rotating the join token must not replace every node.
        ignoreChanges: ['userData', 'sshKeys', 'image'],
      },
    );

  const nodes = planned.map((node) => {
    const addresses = primaryIps(node, node.mediaHostname);
    server(node, addresses);
    return pulumi
      .all([addresses.ipv4.ipAddress, addresses.ipv6Address, addresses.ipv6.ipNetwork])
      .apply(([ipv4, ipv6, ipv6Network]): NodeOutput => ({
        name: node.name,
        pool: node.pool,
        ordinal: node.ordinal,
        location: node.location,
        region: node.region,
        serverType: node.serverType,
        mediaHostname: node.mediaHostname,
        ipv4,
        ipv6,
        ipv6Network,
        capacityWeight: node.capacityWeight,
        maxCameras: node.maxCameras,
      }));
  });
  const retired = retiredNodes(config).map((node) => {
    const addresses = primaryIps(node, `${node.name}.${config.dns.zone}`);
    return pulumi
      .all([addresses.ipv4.ipAddress, addresses.ipv6Address])
      .apply(([ipv4, ipv6]): RetiredOutput => ({ name: node.name, ipv4, ipv6 }));
  });
  return { nodes: pulumi.all(nodes), retired: pulumi.all(retired) };
}
