// TLS of a media node's WHEP and HLS: which issuer signs it, for which hosts, and where MediaMTX reads the key pair.
import type { MediaNode } from '../../crds/index.js';

export interface CertificateIssuer {
  name: string;
  kind: 'Issuer' | 'ClusterIssuer';
  group: string;
}

export interface MediaNodeTls {
  issuer: CertificateIssuer;
  /** The Secret cert-manager writes the key pair to (`tls.crt`, `tls.key`). */
  secretName: string;
  /** Hosts of the node's base URLs, sorted: the certificate's subject alternative names. */
  dnsNames: string[];
}

/** Where the workload mounts the certificate's Secret, as a folder: the kubelet swaps it atomically on renewal. */
export const MEDIAMTX_TLS_DIR = '/tls';
export const MEDIAMTX_TLS_FILES = { cert: `${MEDIAMTX_TLS_DIR}/tls.crt`, key: `${MEDIAMTX_TLS_DIR}/tls.key` } as const;

export const certificateName = (node: string) => `mediamtx-${node}-tls`;

/**
 * The node's TLS, or undefined when no issuer is set on the node or for the operator (a local run over plain HTTP).
 * The node's own issuer wins, so one node can move to another CA without touching the rest.
 */
export function mediaNodeTls(node: MediaNode, fallback: CertificateIssuer | undefined): MediaNodeTls | undefined {
  const issuer = node.spec.tls?.issuerRef ?? fallback;
  if (!issuer) return undefined;
  const hosts = new Set([new URL(node.spec.webrtcBaseUrl).hostname, new URL(node.spec.hlsBaseUrl).hostname]);
  return {
    issuer: { name: issuer.name, kind: issuer.kind, group: issuer.group },
    secretName: certificateName(node.metadata.name),
    dnsNames: [...hosts].sort(),
  };
}

/** The cert-manager Certificate of a node; cert-manager renews it before expiry and rewrites the same Secret. */
export function renderCertificate(
  node: MediaNode,
  tls: MediaNodeTls,
  namespace: string,
  labels: Record<string, string>,
): Record<string, unknown> {
  return {
    apiVersion: 'cert-manager.io/v1',
    kind: 'Certificate',
    metadata: { name: certificateName(node.metadata.name), namespace, labels },
    spec: {
      secretName: tls.secretName,
      dnsNames: tls.dnsNames,
      issuerRef: { name: tls.issuer.name, kind: tls.issuer.kind, group: tls.issuer.group },
      // A fresh key at each renewal, so a leaked key stops working at the next one.
      privateKey: { algorithm: 'ECDSA', size: 256, rotationPolicy: 'Always' },
      usages: ['server auth', 'digital signature'],
      duration: '2160h',
      renewBefore: '720h',
      secretTemplate: { labels },
    },
  };
}
