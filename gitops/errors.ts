// Typed errors of the write path; shells map them to exit codes or HTTP statuses.

/** The caller's input is wrong; the message names the field. */
export class InputError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'InputError';
  }
}

/** The request conflicts with the repository's current state. */
export class ConflictError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConflictError';
  }
}
