// One error vocabulary for every Posbon shell: services throw these, the HTTP error middleware maps them to their
// status and a JSON body that names the field, a CLI to its exit code and a line that names it; no shell reads
// message text.

export abstract class PosbonError extends Error {
  /** The HTTP status this error answers with. */
  abstract readonly status: number;
  constructor(
    /** The request field, parameter or header the error is about (`schoolId`, `spec.publicHost`), when one is. */
    readonly field: string | undefined,
    /** What is wrong, without the field's name; the message is `field: detail`. */
    readonly detail: string,
    /** A stable name a client can branch on, sent beside the message. */
    readonly code?: string,
  ) {
    super(field === undefined ? detail : `${field}: ${detail}`);
    this.name = new.target.name;
  }
}

/** An error about a request as a whole, or about a credential or a dependency: no single field names it. */
abstract class UnfieldedError extends PosbonError {
  constructor(message: string, code?: string) {
    super(undefined, message, code);
  }
}

/** Bad input: `field` names it (`spec.publicHost`, `--env`, `put[0].metadata.name`); the message starts with it. */
export class InputError extends PosbonError {
  declare readonly field: string;
  readonly status: number;
  constructor(field: string, detail: string, status = 400) {
    super(field, detail);
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

export class UnauthorizedError extends UnfieldedError {
  readonly status = 401;
}

/** The caller may not do this; `field` names what decided it (`schoolId`, `origin`), absent for a role's rule. */
export class ForbiddenError extends PosbonError {
  readonly status = 403;
}

/** `field` names the parameter that points at nothing (`schoolId`, `name`, `number`). */
export class NotFoundError extends PosbonError {
  declare readonly field: string;
  readonly status = 404;
  constructor(field: string, detail: string, code?: string) {
    super(field, detail, code);
  }
}

/** The request conflicts with the current state (of the database, the repository, the fleet); `field` names what. */
export class ConflictError extends PosbonError {
  declare readonly field: string;
  readonly status = 409;
  constructor(field: string, detail: string, code?: string) {
    super(field, detail, code);
  }
}

/** A dependency (the database, the Git host) cannot take the request now; the client should retry. */
export class UnavailableError extends UnfieldedError {
  readonly status = 503;
}

/** A rate limit was hit; the client should slow down. */
export class TooManyRequestsError extends UnfieldedError {
  readonly status = 429;
  constructor(
    message: string,
    /** Sent as Retry-After when known. */
    readonly retryAfterSeconds?: number,
  ) {
    super(message);
  }
}
