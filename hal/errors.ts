// Errors that end kdemu before a run exists: bad input (exit 2, one line).

/** Bad input: the CLI prints the message as one line and exits 2. */
export class InputError extends Error {
  /** The file the message is about, when it already names it (the CLI then adds no file name of its own). */
  constructor(
    message: string,
    readonly file?: string,
  ) {
    super(file !== undefined ? `${file}: ${message}` : message);
  }
}
