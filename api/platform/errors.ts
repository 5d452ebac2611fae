// Typed errors that services throw; the one error middleware maps them to statuses.
export abstract class ApiError extends Error {
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

/** Bad input: the message names the field. */
export class InputError extends ApiError {
  readonly status: number;
  constructor(
    readonly field: string,
    message: string,
    status = 400,
  ) {
    super(`${field}: ${message}`);
    this.status = status;
  }
}

export class UnauthorizedError extends ApiError {
  readonly status = 401;
}

export class ForbiddenError extends ApiError {
  readonly status = 403;
}

export class NotFoundError extends ApiError {
  readonly status = 404;
}

export class ConflictError extends ApiError {
  readonly status = 409;
}

/** A dependency (the database) cannot take the request now; the client should retry. */
export class UnavailableError extends ApiError {
  readonly status = 503;
}

/** A rate limit was hit; the client should slow down. */
export class TooManyRequestsError extends ApiError {
  readonly status = 429;
  constructor(
    message: string,
    /** Sent as Retry-After when known. */
    readonly retryAfterSeconds?: number,
  ) {
    super(message);
  }
}
