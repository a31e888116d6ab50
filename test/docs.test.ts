// The generated reference (docs/commands.md, docs/check-rules.md) is regenerated in memory and must equal what is
// committed: a changed help text or rule without `npm run docs` fails here. Uses the built CLI (npm test builds).
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { expect, it } from 'vitest';
import { RULES } from '../src/check/catalog.js';

const ROOT = join(import.meta.dirname, '..');

it('docs/commands.md and docs/check-rules.md are what `npm run docs` generates', async () => {
  const result = await promisify(execFile)(process.execPath, [join(ROOT, 'scripts', 'docs.mjs'), '--check']).then(
    ({ stderr }) => ({ code: 0, stderr }),
    (error: { code?: number; stderr?: string }) => ({ code: error.code, stderr: error.stderr ?? String(error) }),
  );
  expect(result.stderr).toBe('');
  expect(result.code).toBe(0);
});

it('docs/check-rules.md lists every rule of the catalog with its severity and spec', () => {
  const rules = readFileSync(join(ROOT, 'docs', 'check-rules.md'), 'utf8');
  for (const [id, rule] of Object.entries(RULES)) {
    expect(rules).toContain(`| \`${id}\` | ${rule.severity} | ${rule.spec} |`);
  }
});
