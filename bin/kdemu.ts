#!/usr/bin/env node
// The kdemu command: runs the command line (bin/cli.ts) for this process.

import { runCli } from './cli.js';

// A reader that closes early (kdemu ... | head) is not an error of ours.
process.stdout.on('error', (e: NodeJS.ErrnoException) => {
  if (e.code === 'EPIPE') process.exit(process.exitCode ?? 0);
  throw e;
});

process.exitCode = runCli(process.argv.slice(2));
