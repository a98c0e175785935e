// Errors that end kdemu before a run exists: bad input (exit 2, one line).

/** Bad input: the CLI prints the message as one line and exits 2. */
export class InputError extends Error {}
