import { ConflictError, ForbiddenError, InputError, NotFoundError, PolicyViolationError, PosbonError, TooManyRequestsError, UnauthorizedError, UnavailableError } from './index.js';

describe('the error vocabulary', () => {
  it('carries the field apart from the message, and keeps class, detail and status when renamed', () => {
    const error = new InputError('put[0].spec.publicHost', 'must be a DNS name', 422);
    expect([error.field, error.detail, error.message, error.status]).toEqual(['put[0].spec.publicHost', 'must be a DNS name', 'put[0].spec.publicHost: must be a DNS name', 422]);
    const renamed = new PolicyViolationError('files', 'MediaNode a is removed without being drained first').renamed('fleet');
    expect(renamed).toBeInstanceOf(PolicyViolationError);
    expect([renamed.field, renamed.message, renamed.status]).toEqual(['fleet', 'fleet: MediaNode a is removed without being drained first', 409]);
  });

  it('names each error by its class and gives its status, field, detail and code', () => {
    const cases: PosbonError[] = [
      new NotFoundError('schoolId', 'no school school-9'),
      new ConflictError('branch', 'the branch moved', 'stale-base'),
      new ForbiddenError('schoolId', 'school school-9 is outside this account\'s scope'),
      new ForbiddenError(undefined, 'role VIEWER may not propose'),
      new UnauthorizedError('agent token: expired'),
      new UnavailableError('git host: try again later'),
      new TooManyRequestsError('too many attempts', 30),
    ];
    expect(cases.map((e) => ({ name: e.name, status: e.status, field: e.field, detail: e.detail, message: e.message, code: e.code }))).toEqual([
      { name: 'NotFoundError', status: 404, field: 'schoolId', detail: 'no school school-9', message: 'schoolId: no school school-9', code: undefined },
      { name: 'ConflictError', status: 409, field: 'branch', detail: 'the branch moved', message: 'branch: the branch moved', code: 'stale-base' },
      { name: 'ForbiddenError', status: 403, field: 'schoolId', detail: 'school school-9 is outside this account\'s scope', message: 'schoolId: school school-9 is outside this account\'s scope', code: undefined },
      { name: 'ForbiddenError', status: 403, field: undefined, detail: 'role VIEWER may not propose', message: 'role VIEWER may not propose', code: undefined },
      { name: 'UnauthorizedError', status: 401, field: undefined, detail: 'agent token: expired', message: 'agent token: expired', code: undefined },
      { name: 'UnavailableError', status: 503, field: undefined, detail: 'git host: try again later', message: 'git host: try again later', code: undefined },
      { name: 'TooManyRequestsError', status: 429, field: undefined, detail: 'too many attempts', message: 'too many attempts', code: undefined },
    ]);
    expect(cases.every((e) => e instanceof PosbonError && e instanceof Error)).toBe(true);
  });
});
