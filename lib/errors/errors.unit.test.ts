import { ConflictError, InputError, PolicyViolationError, PosbonError } from './index.js';

describe('the error vocabulary', () => {
  it('carries the field apart from the message, and keeps class, detail and status when renamed', () => {
    const error = new InputError('put[0].spec.publicHost', 'must be a DNS name', 422);
    expect([error.field, error.detail, error.message, error.status]).toEqual(['put[0].spec.publicHost', 'must be a DNS name', 'put[0].spec.publicHost: must be a DNS name', 422]);
    const renamed = new PolicyViolationError('files', 'MediaNode a is removed without being drained first').renamed('fleet');
    expect(renamed).toBeInstanceOf(PolicyViolationError);
    expect([renamed.field, renamed.message, renamed.status]).toEqual(['fleet', 'fleet: MediaNode a is removed without being drained first', 409]);
  });

  it('names each error by its class and gives its status', () => {
    const conflict = new ConflictError('the branch moved', 'stale-base');
    expect(conflict).toBeInstanceOf(PosbonError);
    expect([conflict.name, conflict.status, conflict.code]).toEqual(['ConflictError', 409, 'stale-base']);
  });
});
