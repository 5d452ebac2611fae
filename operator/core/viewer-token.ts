// What a viewer token claims, shared by the API that signs it and the MediaMTX config that checks it.

/** The longest a viewer token lives. */
export const MAX_VIEWER_TOKEN_SECONDS = 300;

/** `iss` of every viewer token; MediaMTX's authJWTIssuer. */
export const VIEWER_TOKEN_ISSUER = 'posbon-api';

/** `aud`: the one media node the token is for, so a token for one node is refused by every other. */
export const viewerTokenAudience = (node: string): string => `posbon-media-node:${node}`;

/**
 * `sub`: the account and the token's expiry. MediaMTX shows a session's token only by its subject (the session's
 * `user`), and never ends a session when its token expires, so the node's session expiry reads it from there.
 */
export const viewerTokenSubject = (accountId: string, expiresAtSeconds: number): string => `${accountId}@${expiresAtSeconds}`;

/** The expiry (Unix seconds) a viewer token's subject carries, if it carries one. */
export function expiryOfSubject(subject: string): number | undefined {
  const match = /@(\d{1,12})$/.exec(subject);
  return match ? Number(match[1]) : undefined;
}
