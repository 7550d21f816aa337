/**
 * scripts/guest-tools.ts: the one-line stop without pwsh or the .NET SDK, the cache folder, and
 * that the Pester runner behind `npm run test:guest` fails on a failing Pester test.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import {
  EXIT_MISSING_TOOLS,
  MISSING_TOOLS_MESSAGE,
  MissingToolsError,
  cacheDir,
  ensureGuestTools,
} from '../../../scripts/guest-tools';
import { REPO_ROOT } from '../../support/powershell';

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

function runGuestTools(args: readonly string[], env: NodeJS.ProcessEnv): Promise<Run> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      ['--import', 'tsx', 'scripts/guest-tools.ts', ...args],
      { cwd: REPO_ROOT, env, encoding: 'utf8', timeout: 600_000, maxBuffer: 16 * 2 ** 20 },
      (error, stdout, stderr) => {
        const code = error ? (typeof error.code === 'number' ? error.code : -1) : 0;
        resolve({ code, stdout, stderr });
      },
    );
  });
}

describe('scripts/guest-tools.ts', () => {
  let home: string;

  before(async () => {
    home = await mkdtemp(path.join(os.tmpdir(), 'guest-tools-'));
  });

  after(async () => {
    await rm(home, { recursive: true, force: true });
  });

  it('caches under ${XDG_CACHE_HOME:-$HOME/.cache}/mailhost-iac', () => {
    assert.equal(cacheDir({ HOME: '/h' }), path.join('/h', '.cache', 'mailhost-iac'));
    assert.equal(cacheDir({ HOME: '/h', XDG_CACHE_HOME: '/x' }), path.join('/x', 'mailhost-iac'));
  });

  it('throws MissingToolsError when neither pwsh nor dotnet is on PATH and nothing is cached', async () => {
    await assert.rejects(ensureGuestTools({ HOME: home, PATH: '' }), MissingToolsError);
  });

  it('stops test:guest with one line naming what to install, exit 3', async () => {
    const run = await runGuestTools(['test'], { HOME: home, PATH: '' });
    assert.equal(run.code, EXIT_MISSING_TOOLS);
    assert.equal(run.stdout, '');
    assert.equal(run.stderr, `${MISSING_TOOLS_MESSAGE}\n`);
    assert.match(run.stderr, /PowerShell 7\.4\+/);
    assert.match(run.stderr, /\.NET SDK/);
  });

  it('fails test:guest on a failing Pester test and prints the counts', async () => {
    const folder = await mkdtemp(path.join(os.tmpdir(), 'guest-pester-'));
    try {
      await writeFile(
        path.join(folder, 'sample.Tests.ps1'),
        [
          "Describe 'sample' {",
          "    It 'passes' { 1 + 1 | Should -Be 2 }",
          "    It 'fails' { 1 + 1 | Should -Be 3 }",
          "    It 'is skipped' -Skip { 1 | Should -Be 1 }",
          '}',
          '',
        ].join('\n'),
        'utf8',
      );
      const failing = await runGuestTools(['test', folder], process.env);
      assert.equal(failing.code, 1, failing.stderr);
      assert.match(failing.stdout, /^Pester: 1 passed, 1 failed, 1 skipped$/m);

    } finally {
      await rm(folder, { recursive: true, force: true });
    }
  });
});
