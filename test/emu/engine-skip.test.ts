// The engine-skip helpers (test/helpers.ts) with Unicorn made unavailable: in CI a suite that needs it fails, locally
// it is skipped with a message naming what is missing. (The other suites use these helpers for real.)
import { afterEach, describe, expect, it, vi } from 'vitest';

vi.mock('../../emu/index.js', async (importOriginal) => {
  const real = await importOriginal<typeof import('../../emu/index.js')>();
  return {
    ...real,
    engineAvailable: (name: string) => name !== 'unicorn' && real.engineAvailable(name as 'wasm'),
    createEngine: (name: 'unicorn' | 'wasm', arch: 'x64' | 'x86') => {
      if (name === 'unicorn') throw new real.EngineUnavailableError('the Unicorn engine needs libunicorn2 (test: made unavailable)');
      return real.createEngine(name, arch);
    },
  };
});

const { enginesHere, requireEngines } = await import('../helpers.js');

describe('engine-skip helpers without Unicorn', () => {
  const ci = process.env.CI;
  afterEach(() => {
    if (ci === undefined) delete process.env.CI;
    else process.env.CI = ci;
    vi.restoreAllMocks();
  });

  it('fail in CI, naming the missing engine and what to install', () => {
    process.env.CI = 'true';
    expect(() => requireEngines('a suite', 'unicorn', 'wasm')).toThrow(/a suite: the unicorn engine is not available \(.*libunicorn2.*\)/);
    expect(() => enginesHere('a suite')).toThrow(/unicorn/);
  });

  it('skip locally with a message, keeping the engines that are there', () => {
    delete process.env.CI;
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
    expect(requireEngines('a suite', 'unicorn', 'wasm')).toBe(false);
    expect(enginesHere('a suite')).toEqual(['wasm']);
    expect(warn).toHaveBeenCalledTimes(2);
    expect(String(warn.mock.calls[0][0])).toMatch(/^a suite: skipped here: the unicorn engine is not available \(.*libunicorn2/);
  });

  it('pass through engines that are available, silently', () => {
    process.env.CI = 'true';
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
    expect(requireEngines('a suite', 'wasm')).toBe(true);
    expect(enginesHere('a suite', ['wasm'])).toEqual(['wasm']);
    expect(warn).not.toHaveBeenCalled();
  });
});
