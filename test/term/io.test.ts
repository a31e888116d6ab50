import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { descriptorWriter } from '../../src/term/io.js';

/** A descriptor that takes `capacity` bytes, at most `chunk` per call, then answers EAGAIN (a full non-blocking pipe). */
function fullAfter(capacity: number, chunk = Infinity) {
  const taken: Buffer[] = [];
  let room = capacity;
  const write = (_fd: number, data: Uint8Array, offset: number) => {
    if (room === 0)
      throw Object.assign(new Error('EAGAIN: resource temporarily unavailable, write'), { code: 'EAGAIN' });
    const count = Math.min(room, chunk, data.length - offset);
    taken.push(Buffer.from(data.subarray(offset, offset + count)));
    room -= count;
    return count;
  };
  return { write, taken: () => Buffer.concat(taken).toString() };
}

function collect(stream: PassThrough): () => string {
  let text = '';
  stream.on('data', (chunk: Buffer) => (text += chunk.toString()));
  return () => text;
}

describe('descriptorWriter', () => {
  it('writes everything to the descriptor, across partial writes, without creating the stream', () => {
    const descriptor = fullAfter(Infinity, 3);
    let created = false;
    const writer = descriptorWriter(1, () => ((created = true), new PassThrough()), undefined, descriptor.write);
    writer.write('héllo ');
    writer.write('world\n');
    expect(descriptor.taken()).toBe('héllo world\n');
    expect(created).toBe(false);
  });

  it('hands the rest to the stream when a non-blocking descriptor is full, and keeps the order', async () => {
    const descriptor = fullAfter(4);
    const stream = new PassThrough();
    const streamed = collect(stream);
    const writer = descriptorWriter(1, () => stream, undefined, descriptor.write);
    writer.write('line 1\n');
    writer.write('line 2\n');
    await new Promise((resolve) => setImmediate(resolve));
    expect(descriptor.taken() + streamed()).toBe('line 1\nline 2\n');
    expect(descriptor.taken()).toBe('line');
  });

  it('reports a closed reader (EPIPE) to the handler instead of throwing', () => {
    const errors: string[] = [];
    const writer = descriptorWriter(
      1,
      () => new PassThrough(),
      (error) => errors.push(error.code ?? ''),
      () => {
        throw Object.assign(new Error('EPIPE: broken pipe, write'), { code: 'EPIPE' });
      },
    );
    writer.write('x');
    expect(errors).toEqual(['EPIPE']);
  });

  it('throws other write errors', () => {
    const writer = descriptorWriter(
      1,
      () => new PassThrough(),
      undefined,
      () => {
        throw Object.assign(new Error('EIO: i/o error, write'), { code: 'EIO' });
      },
    );
    expect(() => writer.write('x')).toThrow(/EIO/);
  });
});
