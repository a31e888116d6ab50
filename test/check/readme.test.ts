// The README documents every rule id, so a rule added to the catalog without documentation fails here.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { RULES } from '../../src/check/catalog.js';

it('the README lists every rule with its severity and spec', () => {
  const readme = readFileSync(join(import.meta.dirname, '..', '..', 'README.md'), 'utf8');
  for (const [id, rule] of Object.entries(RULES)) {
    expect(readme).toContain(`| \`${id}\` | ${rule.severity} | ${rule.spec} |`);
  }
});
