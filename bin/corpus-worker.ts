// A worker thread of `npm run corpus`: runs one driver at a time as the main thread asks and answers with its record.

import { parentPort } from 'node:worker_threads';
import { runOne, type Job } from './corpus-run.js';

if (!parentPort) throw new Error('corpus-worker runs as a worker thread');
const port = parentPort;
port.on('message', (job: Job) => {
  port.postMessage(runOne(job));
});
