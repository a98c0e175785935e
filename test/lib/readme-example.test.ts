// The example, as written, against the ioctl sample: the package's own name resolves to the library.

import { expect, it } from 'vitest';
import { hex, loadDriver } from 'kdemu';
import 'kdemu/vitest';

it('loads a driver, adds 2 and 3 through an IOCTL, unloads cleanly, and matches its trace snapshot', async () => {
  const d = await loadDriver('samples/build/x64/ioctl.sys');
  const h = d.open('KdIoctl');
  expect(h.ioctl(0x222000, hex('0200000003000000'), 4)).toComplete({ status: 'SUCCESS', data: hex('05000000') });
  expect(d.unload()).toHaveNoLeaks();
  expect(d.trace()).toMatchTraceSnapshot();
});
