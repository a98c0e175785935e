// examples/github-actions.yml and examples/gitlab-ci.yml run the commands they show: the kdemu commands are taken
// from the files' run: and script: lines and run with the ioctl sample in place of the driver team's build output,
// and their JUnit files must be well-formed and hold the expected cases; the build lines compile the sample's
// sources into a driver that passes the same commands. The steps around them (Node 20, mingw-w64, npm ci,
// publishing the report) are checked to be there.
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { kdemu, repo, sample } from '../helpers.js';
import { findAll, parseXml } from './junit-xml.js';

/** The shell lines of a workflow: GitHub's run: (one line or a | block), GitLab's script: and before_script: lists. */
function shellLines(yaml: string): string[] {
  const lines = yaml.split('\n');
  const indent = (l: string) => l.length - l.trimStart().length;
  const out: string[] = [];
  for (let i = 0; i < lines.length; i++) {
    const l = lines[i];
    const run = /^(\s*)(?:- )?run:\s*(.*)$/.exec(l);
    if (run) {
      const value = run[2].trim();
      if (value === '|') {
        const base = indent(l);
        for (i++; i < lines.length && (lines[i].trim() === '' || indent(lines[i]) > base); i++) if (lines[i].trim()) out.push(lines[i].trim());
        i--;
      } else if (/^[>|]/.test(value)) {
        throw new Error(`line ${i + 1}: block style ${value} is not read here: use | or one line`);
      } else out.push(value);
      continue;
    }
    if (/^\s*(before_script|script|after_script):\s*$/.test(l)) {
      const base = indent(l);
      for (i++; i < lines.length && (lines[i].trim() === '' || indent(lines[i]) > base); i++) {
        const t = lines[i].trim();
        if (!t || t.startsWith('#')) continue;
        if (!t.startsWith('- ')) throw new Error(`line ${i + 1}: expected a list item: ${t}`);
        const item = t.slice(2).trim();
        if (/^[>|]/.test(item)) throw new Error(`line ${i + 1}: multi-line items are not read here`);
        out.push(item);
      }
      i--;
    }
  }
  return out;
}

/** A command line's words: the examples use plain words only, so CI shells and this test read them alike. */
function words(line: string): string[] {
  if (/["'`$\\|;&<>(){}*?]/.test(line.replace(/kdemu-\*\.xml/g, ''))) throw new Error(`not a plain command line: ${line}`);
  return line.split(/\s+/).filter(Boolean);
}

const examples = {
  github: path.join(repo, 'examples', 'github-actions.yml'),
  gitlab: path.join(repo, 'examples', 'gitlab-ci.yml'),
};

/** The placeholder paths of the examples and the sample files standing for them. */
const placeholders: Record<string, string> = {
  'build/mydrv.sys': sample('x64', 'ioctl.sys'),
  'build/mydrv_client.exe': sample('x64', 'ioctl_client.exe'),
};

/** Runs an example's kdemu commands in `cwd`, with files standing for the placeholders; returns the JUnit files. */
function runKdemuLines(lines: string[], cwd: string, swap: Record<string, string>): Map<string, string> {
  const reports = new Map<string, string>();
  const kdemuLines = lines.filter((l) => l.startsWith('npx kdemu '));
  expect(kdemuLines.length).toBeGreaterThan(0);
  for (const line of kdemuLines) {
    const args = words(line).slice(2).map((w) => swap[w] ?? w);
    const junit = args[args.indexOf('--junit') + 1];
    expect(args).toContain('--junit');
    const r = kdemu(args, { cwd });
    expect(r.code, `${line}\n${r.stderr}`).toBe(0);
    reports.set(junit, readFileSync(path.join(cwd, junit), 'utf8'));
  }
  return reports;
}

/** The cases each example command's JUnit file must hold, all passing. */
function checkReports(reports: Map<string, string>, client: string): void {
  expect([...reports.keys()].sort()).toEqual(['kdemu-client.xml', 'kdemu-ioctl.xml']);
  const cases = (file: string) => {
    const root = parseXml(reports.get(file)!);
    expect(root.name).toBe('testsuites');
    const suite = findAll(root, 'testsuite');
    expect(suite).toHaveLength(1);
    expect(suite[0].attrs).toMatchObject({ failures: '0', errors: '0', skipped: '0' });
    return findAll(root, 'testcase').map((c) => {
      expect(c.children.filter((x) => x.name !== 'system-out'), c.attrs.name).toEqual([]);
      return c.attrs.name;
    });
  };
  expect(cases('kdemu-ioctl.xml')).toEqual(['DriverEntry', 'open KdIoctl', 'ioctl 0x222000', 'ioctl 0x222004', 'DriverUnload', 'leaks', 'outcome']);
  expect(cases('kdemu-client.xml')).toEqual(['DriverEntry', `client ${client}`, 'DriverUnload', 'leaks', 'outcome']);
  // The requests did what the example says: 1 + 2, and 01..05 reversed.
  const ioctl = findAll(parseXml(reports.get('kdemu-ioctl.xml')!), 'testcase');
  const out = (name: string) => ioctl.find((c) => c.attrs.name === name)?.children.find((c) => c.name === 'system-out')?.text;
  expect(out('ioctl 0x222000')).toContain('data 03000000');
  expect(out('ioctl 0x222004')).toContain('data 0504030201');
}

/** A glob of the examples (kdemu-*.xml) as a test on file names. */
function globMatches(glob: string, names: string[]): boolean {
  const re = new RegExp(`^${glob.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '[^/]*')}$`);
  return names.every((n) => re.test(n));
}

const hasMingw = (() => {
  try {
    execFileSync('x86_64-w64-mingw32-gcc', ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
})();

describe.each(Object.entries(examples))('examples: %s', (kind, file) => {
  const yaml = readFileSync(file, 'utf8');
  const lines = shellLines(yaml);

  it('installs Node 20, mingw-w64 and the project (npm ci), and publishes the JUnit files even when a run fails', () => {
    expect(lines.some((l) => /\bapt-get install -y\b.*\bmingw-w64\b/.test(l))).toBe(true);
    expect(lines.some((l) => /^npm ci\b/.test(l))).toBe(true);
    const junitFiles = lines.flatMap((l) => /--junit (\S+)/.exec(l)?.[1] ?? []);
    if (kind === 'github') {
      expect(yaml).toMatch(/uses: actions\/setup-node@v4\n\s+with:\n\s+node-version: 20\n/);
      const publish = /uses: dorny\/test-reporter@v1\n\s+with:\n(?:\s+\w[\w-]*: .*\n)*/.exec(yaml)?.[0] ?? '';
      expect(publish).toMatch(/reporter: java-junit/);
      expect(globMatches(/path: (\S+)/.exec(publish)![1], junitFiles)).toBe(true);
      // Every step after the first kdemu run runs whatever the run's result (a failed step skips the rest otherwise).
      const after = yaml.slice(yaml.indexOf('npx kdemu run'));
      const steps = after.split(/\n\s+- (?:name|uses):/).slice(1);
      expect(steps.length).toBeGreaterThanOrEqual(3);
      for (const s of steps) expect(s).toContain("if: ${{ !cancelled() }}");
    } else {
      expect(yaml).toMatch(/^\s+image: node:20\b/m);
      const artifacts = /\n {2}artifacts:\n((?: {4}.*\n)+)/.exec(yaml)?.[1] ?? '';
      expect(artifacts).toMatch(/^ {4}when: always$/m);
      const junit = /^ {4}reports:\n {6}junit: (\S+)$/m.exec(artifacts);
      expect(junit).not.toBeNull();
      expect(globMatches(junit![1], junitFiles)).toBe(true);
    }
  });

  it('its kdemu commands, run on the ioctl sample, pass and write well-formed JUnit files with the expected cases', () => {
    const cwd = mkdtempSync(path.join(tmpdir(), `kdemu-ci-${kind}-`));
    checkReports(runKdemuLines(lines, cwd, placeholders), 'ioctl_client.exe');
  });

  it.skipIf(!hasMingw)('its build lines compile the sample sources into a driver and a program those commands pass', () => {
    const cwd = mkdtempSync(path.join(tmpdir(), `kdemu-ci-build-${kind}-`));
    const sources: Record<string, string> = {
      'src/mydrv.c': path.join(repo, 'samples', 'ioctl', 'ioctl.c'),
      'src/mydrv_client.c': path.join(repo, 'samples', 'ioctl', 'ioctl_client.c'),
    };
    const build = lines.filter((l) => /^(mkdir|x86_64-w64-mingw32-gcc) /.test(l));
    expect(build.length).toBe(3);
    for (const line of build) {
      const [cmd, ...args] = words(line).map((w) => sources[w] ?? w);
      if (cmd === 'mkdir') mkdirSync(path.join(cwd, args[args.length - 1]), { recursive: true });
      else execFileSync(cmd, args, { cwd, stdio: 'pipe' });
    }
    // The placeholders are now real files in the working directory.
    checkReports(runKdemuLines(lines, cwd, {}), 'mydrv_client.exe');
  });
});
