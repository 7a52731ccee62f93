// Counts the raft messages on one etcd peer stream by type, from the bytes a proxy
// forwards: the HTTP response of a `GET /raftstream/message/<id>` (chunked), whose
// body is a sequence of frames — an 8-byte big-endian length, then a marshalled
// raftpb.Message whose first field is its type (etcd rafthttp's message encoder).
// The tests use it to count ReadIndex requests the leader receives: the cost a
// linearizable read on a follower puts on the leader.

/** raftpb.MessageType values the tests look for. */
export const MSG_READ_INDEX = 15;

/** Most bytes a response's headers may take before the stream is given up on. */
const MAX_HEAD_BYTES = 16 * 1024;

export class RaftStreamCounter {
  /** Messages seen, by raftpb.MessageType. */
  readonly byType = new Map<number, number>();
  private phase: 'head' | 'size' | 'data' | 'crlf' | 'done' = 'head';
  private pending = Buffer.alloc(0);
  private chunkLeft = 0;
  private body = Buffer.alloc(0);

  push(chunk: Buffer): void {
    if (this.phase === 'done') return;
    this.pending = Buffer.concat([this.pending, chunk]);
    for (let guard = 0; guard < 100_000 && this.step(); guard++);
  }

  /** Advances one step; false when more bytes are needed (or the stream is not one to count). */
  private step(): boolean {
    if (this.phase === 'head') {
      const end = this.pending.indexOf('\r\n\r\n');
      if (end < 0) {
        if (this.pending.length > MAX_HEAD_BYTES) this.phase = 'done';
        return false;
      }
      const head = this.pending.subarray(0, end).toString('latin1');
      this.pending = this.pending.subarray(end + 4);
      this.phase = /\r\ntransfer-encoding: *chunked/i.test(head) ? 'size' : 'done';
      return this.phase !== 'done';
    }
    if (this.phase === 'size') {
      const end = this.pending.indexOf('\r\n');
      if (end < 0) return false;
      this.chunkLeft = parseInt(this.pending.subarray(0, end).toString('latin1'), 16);
      this.pending = this.pending.subarray(end + 2);
      if (!Number.isFinite(this.chunkLeft) || this.chunkLeft === 0) this.phase = 'done';
      else this.phase = 'data';
      return this.phase !== 'done';
    }
    if (this.phase === 'data') {
      if (this.pending.length === 0) return false;
      const take = Math.min(this.chunkLeft, this.pending.length);
      this.body = Buffer.concat([this.body, this.pending.subarray(0, take)]);
      this.pending = this.pending.subarray(take);
      this.chunkLeft -= take;
      this.frames();
      if (this.chunkLeft === 0) this.phase = 'crlf';
      return true;
    }
    if (this.phase === 'crlf') {
      if (this.pending.length < 2) return false;
      this.pending = this.pending.subarray(2);
      this.phase = 'size';
      return true;
    }
    return false;
  }

  /** Takes every whole frame off the body. */
  private frames(): void {
    while (this.body.length >= 8) {
      const size = Number(this.body.readBigUInt64BE(0));
      if (this.body.length < 8 + size) return;
      const message = this.body.subarray(8, 8 + size);
      this.body = this.body.subarray(8 + size);
      if (message[0] !== 0x08) continue; // field 1 (type), varint
      let type = 0;
      for (let i = 1, shift = 0; i < message.length && i < 6; i++, shift += 7) {
        const byte = message[i] as number;
        type |= (byte & 0x7f) << shift;
        if ((byte & 0x80) === 0) break;
      }
      this.byType.set(type, (this.byType.get(type) ?? 0) + 1);
    }
  }
}
