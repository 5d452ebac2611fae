// One error vocabulary for every Posbon shell: services throw these, the HTTP error middleware maps them to their
// status, a CLI to its exit code. An InputError carries the field it is about, so no shell reads message text.

export abstract class PosbonError extends Error {
  /** The HTTP status this error answers with. */
  abstract readonly status: number;
  constructor(
    message: string,
    /** A stable name a client can branch on, sent beside the message. */
    readonly code?: string,
  ) {
    super(message);
    this.name = new.target.name;
  }
}

/** Bad input: `field` names it (`spec.publicHost`, `--env`, `put[0].metadata.name`); the message starts with it. */
export class InputError extends PosbonError {
  readonly status: number;
  constructor(
    readonly field: string,
    /** What is wrong with the field, without its name. */
    readonly detail: string,
    status = 400,
  ) {
    super(`${field}: ${detail}`);
    this.status = status;
  }

  /** The same error about another field name, as a shell calls the field its caller sent. */
  renamed(field: string): InputError {
    return new (this.constructor as new (field: string, detail: string, status: number) => InputError)(field, this.detail, this.status);
  }
}

/** The change would break a fleet policy (an undrained node, a credential in Git); `field` names the file list. */
export class PolicyViolationError extends InputError {
  constructor(field: string, detail: string, status = 409) {
    super(field, detail, status);
  }
}

export class UnauthorizedError extends PosbonError {
  readonly status = 401;
}

export class ForbiddenError extends PosbonError {
  readonly status = 403;
}

export class NotFoundError extends PosbonError {
  readonly status = 404;
}

/** The request conflicts with the current state (of the database, the repository, the fleet). */
export class ConflictError extends PosbonError {
  readonly status = 409;
}

/** A dependency (the database, the Git host) cannot take the request now; the client should retry. */
export class UnavailableError extends PosbonError {
  readonly status = 503;
}

/** A rate limit was hit; the client should slow down. */
export class TooManyRequestsError extends PosbonError {
  readonly status = 429;
  constructor(
    message: string,
    /** Sent as Retry-After when known. */
    readonly retryAfterSeconds?: number,
  ) {
    super(message);
  }
}
