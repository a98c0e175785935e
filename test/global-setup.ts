// Says once, before the tests, when the tests that compare against the Unicorn engine will be skipped.
import { engineAvailable } from '../emu/index.js';

export default function setup(): void {
  if (!engineAvailable('unicorn')) {
    console.log('kdemu: the Unicorn engine is not available (libunicorn2 or its hook missing): the tests that compare the wasm core against it are skipped');
  }
}
