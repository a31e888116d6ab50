// RFC 8628 polling against a small local server that answers what oidc-provider never does (interval, slow_down).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as oauth from 'oauth4webapi';
import { createHttpClient } from '../../src/net/http.js';
import { bufferIO } from '../../src/term/io-buffer.js';
import { createOutput } from '../../src/term/output.js';
import { pollDeviceToken, type Protocol } from '../../src/oauth/grants.js';
import { protocolOptions } from '../../src/oauth/transport.js';
import { startServer, type TestServer } from '../helpers/server.js';

let server: TestServer;
let answers: Array<Record<string, unknown>>;

beforeAll(async () => {
  server = await startServer({
    '/token': (_request, response) => {
      const answer = answers.shift() ?? { error: 'authorization_pending' };
      const status = 'error' in answer ? 400 : 200;
      response
        .writeHead(status, { 'content-type': 'application/json', 'cache-control': 'no-store' })
        .end(JSON.stringify(answer));
    },
  });
});
afterAll(() => server.close());

function protocol(): Protocol {
  const as = { issuer: server.url, token_endpoint: `${server.url}/token` };
  const http = createHttpClient({ timeoutMs: 2000, insecure: false, verbosity: 0, trace: () => undefined, env: {} });
  return { as, client: { client_id: 'device-client' }, auth: oauth.None(), options: protocolOptions(http, as, false) };
}

function fakeClock() {
  let now = 0;
  const waits: number[] = [];
  return { waits, deps: { now: () => now, sleep: async (ms: number) => void (waits.push(ms), (now += ms)) } };
}

const device = (extra: Partial<oauth.DeviceAuthorizationResponse> = {}): oauth.DeviceAuthorizationResponse => ({
  device_code: 'device-code-1234567890',
  user_code: 'ABCD-EFGH',
  verification_uri: 'http://127.0.0.1/device',
  expires_in: 600,
  ...extra,
});

describe('device flow polling', () => {
  it('honours interval, adds 5 s on slow_down, keeps polling while pending', async () => {
    answers = [
      { error: 'authorization_pending' },
      { error: 'slow_down' },
      { error: 'authorization_pending' },
      { access_token: 'at-1', token_type: 'Bearer', expires_in: 60 },
    ];
    const clock = fakeClock();
    const tokens = await pollDeviceToken(protocol(), device({ interval: 7 }), clock.deps);
    expect(tokens.access_token).toBe('at-1');
    expect(clock.waits).toEqual([7000, 7000, 12000, 12000]);
  });

  it('keeps every wait between 5 s and 60 s whatever interval the server names, and says so once per reason', async () => {
    const cases: Array<[unknown, number, RegExp | undefined]> = [
      [1e10, 60_000, /asked to be polled every 10000000000 s; polling every 60 s instead/],
      [Number.POSITIVE_INFINITY, 60_000, /polling every 60 s instead/],
      [2 ** 31, 60_000, /polling every 60 s instead/],
      [1, 5_000, /asked to be polled every 1 s; polling every 5 s/],
      [-3, 5_000, /polling every 5 s/],
      [0.001, 5_000, /polling every 5 s/],
      [Number.NaN, 5_000, undefined],
      ['10', 5_000, undefined],
      [undefined, 5_000, undefined],
      [60, 60_000, undefined],
    ];
    for (const [interval, wait, notice] of cases) {
      answers = [{ error: 'authorization_pending' }, { access_token: 'at-3', token_type: 'Bearer' }];
      const clock = fakeClock();
      const notices: string[] = [];
      await pollDeviceToken(protocol(), device({ interval: interval as number }), {
        ...clock.deps,
        notice: (message) => notices.push(message),
      });
      expect({ interval, waits: clock.waits }).toEqual({ interval, waits: [wait, wait] });
      if (notice) expect(notices).toEqual([expect.stringMatching(notice)]);
      else expect(notices).toEqual([]);
    }
  });

  it('slow_down never takes the wait past 60 s', async () => {
    answers = [
      { error: 'slow_down' },
      { error: 'slow_down' },
      { error: 'slow_down' },
      { access_token: 'at-4', token_type: 'Bearer' },
    ];
    const clock = fakeClock();
    const notices: string[] = [];
    await pollDeviceToken(protocol(), device({ interval: 50 }), {
      ...clock.deps,
      notice: (message) => notices.push(message),
    });
    expect(clock.waits).toEqual([50_000, 55_000, 60_000, 60_000]);
    expect(notices).toEqual([
      expect.stringMatching(/slow_down; the interval would be 65 s; polling every 60 s instead/),
    ]);
  });

  it('polls every 5 s when the server gives no interval, or a shorter one', async () => {
    answers = [{ access_token: 'at-2', token_type: 'Bearer' }];
    const clock = fakeClock();
    await pollDeviceToken(protocol(), device(), clock.deps);
    expect(clock.waits).toEqual([5000]);
  });

  it("never waits past the code's lifetime: interval 60 with expires_in 12 polls once, at 12 s, then reports expiry", async () => {
    answers = [];
    const clock = fakeClock();
    await expect(
      pollDeviceToken(protocol(), device({ interval: 60, expires_in: 12 }), clock.deps),
    ).rejects.toMatchObject({ code: 'DEVICE_CODE_EXPIRED' });
    expect(clock.waits).toEqual([12_000]);
  });

  it('reports expiry (exit 4) from the server or from the clock', async () => {
    answers = [{ error: 'expired_token' }];
    await expect(pollDeviceToken(protocol(), device(), fakeClock().deps)).rejects.toMatchObject({
      code: 'DEVICE_CODE_EXPIRED',
      exitCode: 4,
    });
    answers = [];
    await expect(pollDeviceToken(protocol(), device({ expires_in: 12 }), fakeClock().deps)).rejects.toMatchObject({
      code: 'DEVICE_CODE_EXPIRED',
    });
  });

  it('reports denial (exit 4) with the server description, which reaches the terminal escaped', async () => {
    answers = [{ error: 'access_denied', error_description: 'the user said \u001b[31mno' }];
    const failure = await pollDeviceToken(protocol(), device(), fakeClock().deps).catch((error) => error);
    expect(failure).toMatchObject({ code: 'ACCESS_DENIED', exitCode: 4 });
    const io = bufferIO({ tty: true, env: { TERM: 'xterm' } });
    (await createOutput(io, { json: false, color: undefined, debug: false, verbosity: 0 })).error(failure);
    expect(io.err()).toContain('access_denied (the user said \\u001b[31mno)');
    expect(io.err().replace(/\u001b\[(?:1|2|22|31|39)m/g, '')).not.toContain('\u001b');
  });
});
