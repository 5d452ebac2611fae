// Secrets the operator creates once and keeps: each node's MTX_CONFKEY and the token every probe sidecar accepts.
import { randomBytes } from 'node:crypto';
import type { CoreV1Api } from '@kubernetes/client-node';
import type { MediaNode } from '../../crds/index.js';
import { MANAGED_LABELS, NODE_LABEL, PROBE_TOKEN_SECRET, confKeySecretName } from '../workload.js';
import { isAlreadyExists, isNotFound, ownedBy } from './cluster-writer.js';

const decode = (value: string | undefined) => (value ? Buffer.from(value, 'base64').toString('utf8') : undefined);
const encode = (value: string) => Buffer.from(value).toString('base64');

export class NodeSecrets {
  private readonly confKeys = new Map<string, string>();
  private confKeysLoaded = false;
  private probeTokenValue: string | undefined;

  private constructor(
    private readonly core: CoreV1Api,
    private readonly namespace: string,
  ) {}

  static create(deps: { core: CoreV1Api; namespace: string }): NodeSecrets {
    return new NodeSecrets(deps.core, deps.namespace);
  }

  /** The node's MTX_CONFKEY, created on first use; it never leaves the cluster's Secrets. */
  async confKey(node: MediaNode): Promise<string> {
    const name = node.metadata.name;
    if (!this.confKeysLoaded) {
      // One LIST instead of a GET per node on a cold start.
      const list = await this.core.listNamespacedSecret({ namespace: this.namespace, labelSelector: NODE_LABEL });
      for (const secret of list.items) {
        const owner = secret.metadata?.labels?.[NODE_LABEL];
        const key = decode(secret.data?.key);
        if (owner && key && secret.metadata?.name === confKeySecretName(owner)) this.confKeys.set(owner, key);
      }
      this.confKeysLoaded = true;
    }
    const cached = this.confKeys.get(name);
    if (cached) return cached;
    // The list showed no key: create one. One created since (by a replica that led before) is read instead.
    const secretName = confKeySecretName(name);
    let key = randomBytes(24).toString('base64url');
    try {
      await this.core.createNamespacedSecret({
        namespace: this.namespace,
        body: { metadata: { name: secretName, labels: { ...MANAGED_LABELS, [NODE_LABEL]: name }, ownerReferences: ownedBy(node) }, type: 'Opaque', data: { key: encode(key) } },
      });
    } catch (error) {
      if (!isAlreadyExists(error)) throw error;
      const existing = decode((await this.core.readNamespacedSecret({ name: secretName, namespace: this.namespace })).data?.key);
      if (!existing) throw new Error(`Secret ${secretName} holds no key`, { cause: error });
      key = existing;
    }
    this.confKeys.set(name, key);
    return key;
  }

  forget(node: string): void {
    this.confKeys.delete(node);
  }

  /** The token sidecars accept, created on first use and shared by every node. */
  async probeToken(): Promise<string> {
    if (this.probeTokenValue) return this.probeTokenValue;
    try {
      const secret = await this.core.readNamespacedSecret({ name: PROBE_TOKEN_SECRET, namespace: this.namespace });
      this.probeTokenValue = decode(secret.data?.token) ?? '';
    } catch (error) {
      if (!isNotFound(error)) throw error;
      const token = randomBytes(32).toString('base64url');
      // The ticket key lets the API admit a proposed NVR for one probe; sidecars read both from this Secret.
      const ticketKey = randomBytes(32).toString('base64');
      await this.core.createNamespacedSecret({
        namespace: this.namespace,
        body: { metadata: { name: PROBE_TOKEN_SECRET, labels: { ...MANAGED_LABELS } }, type: 'Opaque', data: { token: encode(token), 'ticket-key': encode(ticketKey) } },
      });
      this.probeTokenValue = token;
    }
    return this.probeTokenValue;
  }
}
