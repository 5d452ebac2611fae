// cloud-init that joins a media node to the cluster as a k3s agent (ADR 0012): pinned, checksummed binary, token in a 0600 file.
import { stringify } from 'yaml';
import type { StackConfig } from './config.js';
import type { PlannedNode } from './nodes.js';

export const K3S_CONFIG_PATH = '/etc/rancher/k3s/config.yaml';

const AGENT_UNIT = `[Unit]
Description=k3s agent (Posbon media node)
Wants=network-online.target
After=network-online.target

[Service]
Type=notify
ExecStart=/usr/local/bin/k3s agent
KillMode=process
Delegate=yes
LimitNOFILE=1048576
LimitNPROC=infinity
LimitCORE=infinity
TasksMax=infinity
TimeoutStartSec=0
Restart=always
RestartSec=5s

[Install]
WantedBy=multi-user.target
`;

/**
 * The join script: the node IP and flannel interface are the ones the route to the k3s server leaves by, i.e. the
 * private network's, so cluster traffic never crosses the public interface the firewall closes.
 */
function joinScript(cluster: StackConfig['cluster']): string {
  const host = new URL(cluster.server).hostname;
  const url = `https://github.com/k3s-io/k3s/releases/download/${encodeURIComponent(cluster.k3sVersion)}/k3s`;
  return `#!/bin/sh
set -eu
route="$(ip -4 route get ${host})"
dev="$(printf '%s\\n' "$route" | sed -n 's/.* dev \\([^ ]*\\).*/\\1/p')"
src="$(printf '%s\\n' "$route" | sed -n 's/.* src \\([0-9.]*\\).*/\\1/p')"
printf 'node-ip: %s\\nflannel-iface: %s\\n' "$src" "$dev" >> ${K3S_CONFIG_PATH}
curl -fsSL --retry 5 -o /usr/local/bin/k3s.download '${url}'
echo '${cluster.k3sSha256}  /usr/local/bin/k3s.download' | sha256sum -c -
install -m 0755 /usr/local/bin/k3s.download /usr/local/bin/k3s
rm -f /usr/local/bin/k3s.download
systemctl daemon-reload
systemctl enable --now k3s-agent.service
`;
}

/** The k3s agent's own config: where to join, as which node, with which labels and taints. */
export function agentConfig(node: PlannedNode, server: string, token: string): string {
  return stringify(
    {
      server,
      token,
      'node-name': node.name,
      'node-label': Object.entries(node.nodeLabels)
        .sort(([a], [b]) => a.localeCompare(b))
        .map(([k, v]) => `${k}=${v}`),
      'node-taint': node.taints.map((t) => `${t.key}=${t.value}:${t.effect}`),
    },
    { lineWidth: 0 },
  );
}

export function renderCloudInit(node: PlannedNode, cluster: StackConfig['cluster'], token: string): string {
  const cloudConfig = {
    hostname: node.name,
    write_files: [
      {
        path: K3S_CONFIG_PATH,
        owner: 'root:root',
        permissions: '0600',
        content: agentConfig(node, cluster.server, token),
      },
      { path: '/etc/systemd/system/k3s-agent.service', owner: 'root:root', permissions: '0644', content: AGENT_UNIT },
      { path: '/usr/local/sbin/posbon-join', owner: 'root:root', permissions: '0700', content: joinScript(cluster) },
    ],
    runcmd: [['/usr/local/sbin/posbon-join']],
  };
  return `#cloud-config\n${stringify(cloudConfig, { lineWidth: 0 })}`;
}
