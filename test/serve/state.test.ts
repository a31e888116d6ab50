// The local server's state file as `oauth serve` and `oauth mint` read it: every stored key is checked before either
// uses it.
import { generateKeyPairSync } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli, sandboxEnv, spawnCli, STACK_TRACE } from '../helpers/cli.js';

type Env = Record<string, string | undefined>;
const statePath = (env: Env) => join(env.XDG_STATE_HOME!, 'oauth', 'serve', 'state.json');
const readState = (env: Env) => JSON.parse(readFileSync(statePath(env), 'utf8'));

describe('a state file whose keys cannot sign', () => {
  const otherModulus = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ format: 'jwk' }).n;
  // Each leaves the file valid JSON of the right shape; index 0 is the ES256 key, 1 the RS256 key, 2 the EdDSA key.
  const damages: Array<[string, number, (key: Record<string, unknown>) => void]> = [
    ['an ES256 key on the P-384 curve', 0, (key) => (key.crv = 'P-384')],
    ['an RS256 key whose modulus is another key\u2019s', 1, (key) => (key.n = otherModulus)],
    ['an RS256 key without its CRT parameters', 1, (key) => delete key.p],
    ['an EdDSA key on the X25519 curve', 2, (key) => (key.crv = 'X25519')],
    ['a key for encryption', 0, (key) => (key.use = 'enc')],
    ['a public key only', 2, (key) => delete key.d],
    ['a key for an algorithm the server does not sign with', 1, (key) => (key.alg = 'HS256')],
  ];

  it.each(damages)('%s: serve and mint both exit 2 STORE_CORRUPT naming the file and the key', async (_name, index, damage) => {
    const env = sandboxEnv();
    for (const alg of ['ES256', 'RS256', 'EdDSA']) expect((await runCli(['mint', '--alg', alg], { env })).code).toBe(0);
    const state = readState(env);
    damage(state.keys[index]);
    writeFileSync(statePath(env), JSON.stringify(state));
    const kid = state.keys[index].kid as string;

    const runs = [
      await runCli(['mint'], { env }),
      await runCli(['mint', '--alg', state.keys[index].alg === 'HS256' ? 'RS256' : state.keys[index].alg], { env }),
      await spawnCli(['serve', '--port', '0', '--alg', index === 0 ? 'RS256' : 'ES256'], { env, timeoutMs: 15_000 }),
    ];
    for (const run of runs) {
      expect(run.stderr).not.toMatch(STACK_TRACE);
      expect(run.code, run.stderr).toBe(2);
      expect(run.stderr).toContain('error[STORE_CORRUPT]');
      expect(run.stderr).toContain(statePath(env));
      expect(run.stderr).toContain(`keys[${index}] (kid ${kid})`);
      expect(run.stderr).toContain(`rm ${statePath(env)}`);
    }
    expect(readState(env)).toEqual(state);
  });

  it('secrets that are not strings are refused the same way', async () => {
    const env = sandboxEnv();
    expect((await runCli(['mint'], { env })).code).toBe(0);
    writeFileSync(statePath(env), JSON.stringify({ ...readState(env), secrets: {} }));
    const run = await spawnCli(['serve', '--port', '0'], { env, timeoutMs: 15_000 });
    expect(run.code, run.stderr).toBe(2);
    expect(run.stderr).toContain('secrets.confidential');
  });
});
