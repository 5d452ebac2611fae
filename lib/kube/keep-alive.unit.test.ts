import { Agent } from 'node:https';
import { HttpMethod, KubeConfig, RequestContext } from '@kubernetes/client-node';
import { keepAlive } from './keep-alive.js';

const config = (ca: string) => {
  const kc = new KubeConfig();
  kc.loadFromOptions({
    clusters: [{ name: 'c', server: 'https://127.0.0.1:6443', caData: Buffer.from(ca).toString('base64'), skipTLSVerify: false }],
    users: [{ name: 'u', token: 'not-a-real-token' }],
    contexts: [{ name: 'x', cluster: 'c', user: 'u' }],
    currentContext: 'x',
  });
  return kc;
};

const agentOf = async (kc: KubeConfig) => {
  const context = new RequestContext('https://127.0.0.1:6443/api/v1/namespaces', HttpMethod.GET);
  await kc.applySecurityAuthentication(context);
  return { agent: context.getAgent(), authorization: context.getHeaders().Authorization, encoding: context.getHeaders()['Accept-Encoding'] };
};

describe('keepAlive', () => {
  it('gives every request one kept-alive agent, and still sets the credentials per request', async () => {
    const kc = keepAlive(config('ca-one'));
    const [first, second] = [await agentOf(kc), await agentOf(kc)];
    expect(first.agent).toBeInstanceOf(Agent);
    expect(second.agent).toBe(first.agent);
    expect((first.agent as Agent & { keepAlive: boolean }).keepAlive).toBe(true);
    expect([first.authorization, second.authorization]).toEqual(['Bearer not-a-real-token', 'Bearer not-a-real-token']);
    expect([first.encoding, second.encoding]).toEqual(['identity', 'identity']);
  });

  it('builds a new agent when the TLS identity changes', async () => {
    const kc = keepAlive(config('ca-one'));
    const before = (await agentOf(kc)).agent;
    kc.clusters[0] = { ...kc.clusters[0]!, caData: Buffer.from('ca-two').toString('base64') };
    const after = (await agentOf(kc)).agent;
    expect(after).not.toBe(before);
    expect((after as Agent).options.ca).toEqual(Buffer.from('ca-two'));
  });

  it('leaves a client without it as it was: a new agent per request', async () => {
    const kc = config('ca-one');
    expect((await agentOf(kc)).agent).not.toBe((await agentOf(kc)).agent);
  });
});
