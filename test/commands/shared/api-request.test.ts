// What curl's flags send: bodies from values, files, pipes and stdin, with curl's content types; headers on one line.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { parseHeaders, requestBody } from '../../../src/commands/shared/api-request.js';

const noStdin = () => Readable.from([]);

describe('requestBody', () => {
  const dir = mkdtempSync(join(tmpdir(), 'oauth-api-request-'));
  const file = join(dir, 'body');
  writeFileSync(file, 'a=1\r\n&b=\u0000x\n');

  it('gives each flag curl’s content type; several -d are joined with &, and -d @file loses its line breaks', async () => {
    expect(await requestBody({ data: ['a=1', 'b=2'] }, noStdin())).toEqual({
      data: 'a=1&b=2',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
    });
    expect((await requestBody({ data: [`@${file}`] }, noStdin()))?.data).toBe('a=1&b=\u0000x');
    expect(await requestBody({ json: '{}' }, noStdin())).toEqual({
      data: '{}',
      headers: { 'content-type': 'application/json', accept: 'application/json' },
    });
    expect(await requestBody({}, noStdin())).toBeUndefined();
  });

  it('sends --data-binary @file byte for byte, and @- reads stdin', async () => {
    const binary = await requestBody({ dataBinary: `@${file}` }, noStdin());
    expect(Buffer.isBuffer(binary?.data) && binary.data.toString('latin1')).toBe('a=1\r\n&b=\u0000x\n');
    const piped = await requestBody({ json: '@-' }, Readable.from([Buffer.from('{"a":'), Buffer.from('1}')]));
    expect(piped?.data.toString()).toBe('{"a":1}');
  });

  it('refuses two bodies, a missing file and a directory (exit 2)', async () => {
    await expect(requestBody({ data: ['a'], json: '{}' }, noStdin())).rejects.toMatchObject({ code: 'USAGE' });
    await expect(requestBody({ json: `@${join(dir, 'missing')}` }, noStdin())).rejects.toMatchObject({
      code: 'FILE_UNREADABLE',
      exitCode: 2,
    });
    await expect(requestBody({ json: `@${dir}` }, noStdin())).rejects.toMatchObject({ code: 'FILE_UNREADABLE' });
  });
});

describe('parseHeaders', () => {
  it('reads "Name: value" (names in lower case, a repeated one joined) and refuses a line break', () => {
    expect(parseHeaders(['Accept: text/plain', 'X-A:1', 'x-a:  2  '])).toEqual({ accept: 'text/plain', 'x-a': '1, 2' });
    expect(() => parseHeaders(['X-A: 1\r\nX-B: 2'])).toThrow(/one line/);
    expect(() => parseHeaders(['no colon'])).toThrow(/Name: value/);
    expect(() => parseHeaders(['Bad Name: x'])).toThrow(/Name: value/);
  });
});
