/**
 * Input refused at one named place: a query parameter, a body field, a path in a detector configuration. The
 * message starts with the place; each subclass also names it in its own terms (`parameter`, `field`, `path`).
 */
export abstract class InputError extends Error {
  abstract readonly code: string;
  constructor(
    readonly at: string,
    message: string,
  ) {
    super(`${at}: ${message}`);
  }
}
