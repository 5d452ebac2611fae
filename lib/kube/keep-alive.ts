// One kept-alive TLS agent per client identity for a KubeConfig's API clients and plain lists.
import { Agent } from 'node:https';
import { KubeConfig } from '@kubernetes/client-node';

type RequestContext = Parameters<KubeConfig['applySecurityAuthentication']>[0];

const agents = new WeakMap<KubeConfig, { identity: string; agent: Agent }>();

/**
 * The kept-alive agent that stands in for `agent`, the client's own per-request one: shared for as long as the CA,
 * client certificate and key stay the same (a rotated certificate gets a new one). Any other agent (a proxy's) is
 * returned as it is.
 */
export function sharedAgent(kc: KubeConfig, agent: unknown): unknown {
  if (agent?.constructor !== Agent) return agent;
  const options = (agent as Agent).options;
  const identity = [options.ca, options.cert, options.key, options.pfx, options.passphrase, options.rejectUnauthorized, options.servername].map(String).join('\0');
  let shared = agents.get(kc);
  if (shared?.identity !== identity) {
    shared = { identity, agent: new Agent({ ...options, keepAlive: true }) };
    agents.set(kc, shared);
  }
  return shared.agent;
}

/**
 * The client builds a new TLS agent for every request, so every call pays a new connection, handshake and secure
 * context (most of the operator's CPU after an edit). This shares one kept-alive agent (`sharedAgent`). Watches keep
 * their own connections. Responses come uncompressed.
 */
export function keepAlive(kc: KubeConfig): KubeConfig {
  const apply = kc.applySecurityAuthentication.bind(kc);
  kc.applySecurityAuthentication = async (context: RequestContext) => {
    await apply(context);
    // Uncompressed responses: a list of 30,000 NVRs or a 600 kB ConfigMap echoed by an apply costs the API server a
    // gzip and this process a gunzip, more CPU on both ends than the cluster network saves.
    context.setHeaderParam('Accept-Encoding', 'identity');
    const agent = context.getAgent();
    const shared = sharedAgent(kc, agent);
    if (shared !== agent) context.setAgent(shared as Agent);
  };
  return kc;
}

/**
 * A process's KubeConfig, with kept-alive connections: the pod's ServiceAccount when `inCluster`, else the client's
 * default order (KUBECONFIG, ~/.kube/config, then the pod's ServiceAccount).
 */
export function loadKubeConfig(options: { inCluster?: boolean } = {}): KubeConfig {
  const kc = keepAlive(new KubeConfig());
  if (options.inCluster) kc.loadFromCluster();
  else kc.loadFromDefault();
  return kc;
}
