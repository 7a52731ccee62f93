// Unit test of the raft stream counter the stale-read cluster test relies on to count
// ReadIndex requests: chunked HTTP framing, 8-byte length frames, the type varint,
// whatever way the bytes are split.
import { describe, expect, it } from 'vitest';
import { MSG_READ_INDEX, RaftStreamCounter } from '../helpers/raftStream.js';

/** A frame as etcd's message encoder writes it: length, then field 1 (type) and some other field. */
function frame(type: number, padding = 3): Buffer {
  const body = Buffer.concat([Buffer.from([0x08, type]), Buffer.from([0x10, 0x01]), Buffer.alloc(padding, 0x20)]);
  const length = Buffer.alloc(8);
  length.writeBigUInt64BE(BigInt(body.length));
  return Buffer.concat([length, body]);
}

function chunked(body: Buffer, chunkSizes: number[]): Buffer {
  const parts: Buffer[] = [Buffer.from('HTTP/1.1 200 OK\r\nContent-Type: application/octet-stream\r\nTransfer-Encoding: chunked\r\n\r\n')];
  let at = 0;
  for (const size of chunkSizes) {
    const piece = body.subarray(at, at + size);
    at += piece.length;
    parts.push(Buffer.from(`${piece.length.toString(16)}\r\n`), piece, Buffer.from('\r\n'));
  }
  return Buffer.concat(parts);
}

describe('RaftStreamCounter', () => {
  const body = Buffer.concat([frame(8), frame(MSG_READ_INDEX), frame(9, 40), frame(MSG_READ_INDEX, 0), frame(16)]);

  it('counts every message by type when frames straddle chunks and bytes arrive one by one', () => {
    const wire = chunked(body, [5, 17, 3, body.length]);
    const counter = new RaftStreamCounter();
    for (const byte of wire) counter.push(Buffer.from([byte]));
    expect(Object.fromEntries(counter.byType)).toEqual({ 8: 1, [MSG_READ_INDEX]: 2, 9: 1, 16: 1 });
  });

  it('counts only whole frames, and nothing on a response that is not chunked', () => {
    const partial = new RaftStreamCounter();
    partial.push(chunked(body, [body.length - 1]));
    expect(partial.byType.get(16)).toBeUndefined();
    expect(partial.byType.get(MSG_READ_INDEX)).toBe(2);
    const plain = new RaftStreamCounter();
    plain.push(Buffer.concat([Buffer.from('HTTP/1.1 200 OK\r\nContent-Length: 40\r\n\r\n'), body]));
    expect(plain.byType.size).toBe(0);
  });
});
