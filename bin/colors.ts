// Terminal colours for the human output, decided per output stream: a summary written to stderr (when the trace
// takes stdout) is coloured by whether stderr is a terminal, not stdout.

import pc from 'picocolors';

export type Colors = ReturnType<typeof pc.createColors>;

/** What colouring needs to know of a stream (process.stdout, process.stderr, or a test's stand-in). */
export interface OutputStream {
  isTTY?: boolean;
}

/**
 * Whether to colour output written to `stream`: only on a terminal, never with NO_COLOR set (no-color.org: any
 * non-empty value), and also off a terminal with FORCE_COLOR (for a pager such as less -R).
 */
export function colorEnabled(stream: OutputStream | undefined, env: NodeJS.ProcessEnv = process.env): boolean {
  if (env.NO_COLOR) return false;
  if (env.FORCE_COLOR !== undefined && env.FORCE_COLOR !== '' && env.FORCE_COLOR !== '0' && env.FORCE_COLOR !== 'false') return true;
  return stream?.isTTY === true && env.TERM !== 'dumb';
}

/** The colour functions for `stream`: identity functions when colour is off. */
export function colorsFor(stream: OutputStream | undefined, env: NodeJS.ProcessEnv = process.env): Colors {
  return pc.createColors(colorEnabled(stream, env));
}
