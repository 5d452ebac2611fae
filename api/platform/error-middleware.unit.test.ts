import { ConflictError, ForbiddenError, InputError, NotFoundError, PolicyViolationError, TooManyRequestsError, UnavailableError } from '../../lib/errors/index.js';
import { errorResponse } from './error-middleware.js';

describe('the error response', () => {
  it('sends each typed error with its status, its whole message and the field it is about', () => {
    const errors = [
      new InputError('spec.publicHost', 'must be a DNS name'),
      new PolicyViolationError('files', 'MediaNode a is removed without being drained first'),
      new NotFoundError('schoolId', 'no school school-9'),
      new ConflictError('name', 'an NVR named gate already exists', 'exists'),
      new ForbiddenError('totp', 'set up the second factor first', 'totp-enrolment-required'),
      new ForbiddenError(undefined, 'role VIEWER may not propose'),
      new UnavailableError('git host: try again later'),
      new TooManyRequestsError('too many attempts', 30),
    ];
    expect(errors.map((e) => errorResponse(e, 'r-1'))).toEqual([
      { status: 400, body: { error: 'spec.publicHost: must be a DNS name', field: 'spec.publicHost', requestId: 'r-1' } },
      { status: 409, body: { error: 'files: MediaNode a is removed without being drained first', field: 'files', requestId: 'r-1' } },
      { status: 404, body: { error: 'schoolId: no school school-9', field: 'schoolId', requestId: 'r-1' } },
      { status: 409, body: { error: 'name: an NVR named gate already exists', field: 'name', code: 'exists', requestId: 'r-1' } },
      { status: 403, body: { error: 'totp: set up the second factor first', field: 'totp', code: 'totp-enrolment-required', requestId: 'r-1' } },
      { status: 403, body: { error: 'role VIEWER may not propose', requestId: 'r-1' } },
      { status: 503, body: { error: 'git host: try again later', requestId: 'r-1' } },
      { status: 429, body: { error: 'too many attempts', requestId: 'r-1' } },
    ]);
  });

  it('shows a parser\'s 4xx message and hides anything else behind a 500', () => {
    const tooLarge = Object.assign(new Error('request entity too large'), { status: 413 });
    expect([errorResponse(tooLarge, 'r-2'), errorResponse(new Error('password=hunter2 in a stack'), 'r-3')]).toEqual([
      { status: 413, body: { error: 'request entity too large', requestId: 'r-2' } },
      { status: 500, body: { error: 'internal error', requestId: 'r-3' } },
    ]);
  });
});
