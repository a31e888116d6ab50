// `oauth decode -` with several tokens and --dpop-key: each line says whether its token is bound to that key (cnf.jkt,
// RFC 9449 §6.1), a token bound to another key fails (exit 3), as one token does.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as jose from 'jose';
import { beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { makeKey, sign, type TestKey } from '../helpers/tokens.js';

const dir = mkdtempSync(join(tmpdir(), 'decode-dpop-'));
let signer: TestKey;
let keyFile: string;
let privateD: string;
let bound: string;
let other: string;
let plain: string;

beforeAll(async () => {
  signer = await makeKey('RS256', 'k1');
  const mine = await jose.generateKeyPair('ES256', { extractable: true });
  const theirs = await jose.generateKeyPair('ES256', { extractable: true });
  const privateJwk = await jose.exportJWK(mine.privateKey);
  privateD = String(privateJwk.d);
  keyFile = join(dir, 'dpop.jwk');
  writeFileSync(keyFile, JSON.stringify({ ...privateJwk, alg: 'ES256' }));
  const jkt = await jose.calculateJwkThumbprint(await jose.exportJWK(mine.publicKey));
  const otherJkt = await jose.calculateJwkThumbprint(await jose.exportJWK(theirs.publicKey));
  bound = await sign(signer, { claims: { cnf: { jkt } } });
  other = await sign(signer, { claims: { cnf: { jkt: otherJkt } } });
  plain = await sign(signer);
});

describe('decode several tokens with --dpop-key', () => {
  it('says each bound token is bound to the key, exit 0, and never prints the private key', async () => {
    const result = await runCli(['decode', '-', '--dpop-key', keyFile], { stdin: `${bound}\n${bound}\n` });
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout.match(/bound to --dpop-key /g)).toHaveLength(2);
    expect(result.stdout + result.stderr).not.toContain(privateD);
  });

  it('fails a token bound to another key (exit 3) on its own line; the others pass', async () => {
    const result = await runCli(['decode', '-', '--dpop-key', keyFile], { stdin: `${bound}\n${other}\n` });
    expect(result.code).toBe(3);
    const [first, second] = result.stdout.trim().split('\n');
    expect(first).toMatch(/^#1 .*bound to --dpop-key/);
    expect(second).toMatch(/^#2 .*JWT_CLAIM_INVALID.*another DPoP key than --dpop-key/);
    expect(result.stderr).toContain('1 of 2 tokens');
  });

  it('with --json each line carries the binding', async () => {
    const result = await runCli(['decode', '-', '--dpop-key', keyFile, '--json'], { stdin: `${bound}\n${other}\n` });
    expect(result.code).toBe(3);
    const lines = result.stdout
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line));
    expect(lines[0].dpop).toMatchObject({ bound: true });
    expect(lines[1].dpop).toMatchObject({ bound: false });
  });

  it('a token with no cnf.jkt is bound to no key: one warning, as for one token, exit 0', async () => {
    const result = await runCli(['decode', '-', '--dpop-key', keyFile], { stdin: `${plain}\n${bound}\n` });
    expect(result.code).toBe(0);
    expect(result.stderr.match(/no cnf\.jkt/g)).toHaveLength(1);
    expect(result.stderr).toContain('1 of 2 tokens');
  });

  it('without --dpop-key a bound token says it is DPoP-bound', async () => {
    const result = await runCli(['decode', '-'], { stdin: `${bound}\n${plain}\n` });
    expect(result.code).toBe(0);
    expect(result.stdout.split('\n')[0]).toContain('DPoP-bound (cnf.jkt)');
    expect(result.stdout.split('\n')[1]).not.toContain('DPoP');
  });

  it('a --dpop-key file that is no key: exit 2 before any token is read', async () => {
    const junk = join(dir, 'junk');
    writeFileSync(junk, 'hello');
    const result = await runCli(['decode', '-', '--dpop-key', junk], { stdin: `${bound}\n${bound}\n` });
    expect(result.code).toBe(2);
    expect(result.stdout).toBe('');
  });
});
