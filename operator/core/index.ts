// The pure core's public entry point: the only operator module the API, gitops and pulumi import (docs/architecture.md).
export * from './assign.js';
export * from './endpoint.js';
export * from './fleet.js';
export * from './media-host.js';
export * from './mediamtx.js';
export * from './plan.js';
export * from './tunnel.js';
export * from './viewer-token.js';
