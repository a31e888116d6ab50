import { describe, expect, it } from 'vitest';
import { notJsonError, parseJsonResponse, statusError } from '../../src/net/http-response.js';

const answer = (status: number, body: string, headers: Record<string, string> = {}) => ({
  url: 'https://id.example.test/token',
  status,
  headers,
  body: Buffer.from(body),
});

describe('an answer that is not the expected one', () => {
  it('says its status and body in the message, and carries them as fields', () => {
    const error = statusError(answer(403, ''), 'token endpoint');
    expect(error.message).toBe(
      'The token endpoint at https://id.example.test/token answered HTTP 403 with an empty body.',
    );
    expect(error).toMatchObject({
      code: 'HTTP_STATUS',
      reason: 'the token endpoint at https://id.example.test/token answered HTTP 403 with an empty body',
      endpoint: 'token endpoint',
      status: 403,
      details: { status: 403 },
    });
  });

  it('a success that is not JSON carries the same fields', () => {
    const error = notJsonError(answer(200, '<html>'), 'token endpoint');
    expect(error).toMatchObject({ code: 'PROTOCOL_ERROR', endpoint: 'token endpoint', status: 200 });
    expect(error.message).toBe(
      'The token endpoint at https://id.example.test/token answered HTTP 200 with an HTML page, which is not a JSON object (content-type none).',
    );
  });

  it('a redirect names where it led', () => {
    let thrown: unknown;
    try {
      parseJsonResponse(answer(302, '', { location: 'https://elsewhere.test/' }), 'discovery document');
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toMatchObject({
      code: 'HTTP_REDIRECT',
      reason:
        'the discovery document at https://id.example.test/token answered with a redirect (302 to https://elsewhere.test/)',
      endpoint: 'discovery document',
      status: 302,
    });
  });
});
