// Paged range reads: a prefix is read in pages of at most `pageSize` keys, each
// page continuing just after the last key of the previous one, all pages at the
// revision of the first (one consistent snapshot). grpc-js refuses a response over
// 4 MiB, so a single range over a large node would fail every time it is read.
import type { IKeyValue, IRangeRequest, IRangeResponse } from 'etcd3';

/**
 * Keys per page. A service value is at most 8 KiB (MAX_SERVICE_BYTES) and its key
 * under ~0.5 KiB, so 256 keys are at most ~2.2 MiB — half of grpc-js's 4 MiB
 * receive limit. A full node of 10,000 services is 40 pages; at ~400 B per value
 * each page is ~120 KiB.
 */
export const DEFAULT_PAGE_SIZE = 256;

/** Runs one Range request (the caller adds the member and the deadline). */
export type RangeCall = (request: IRangeRequest) => Promise<IRangeResponse>;

/** The smallest key greater than every key starting with `prefix` (etcd's prefix range end). */
export function prefixEnd(prefix: Buffer): Buffer {
  const end = Buffer.from(prefix);
  for (let i = end.length - 1; i >= 0; i--) {
    if ((end[i] as number) < 0xff) {
      end[i] = (end[i] as number) + 1;
      return end.subarray(0, i + 1);
    }
  }
  return Buffer.from([0]); // every byte 0xff: the range runs to the end of the keyspace
}

/** A page larger than grpc-js accepts (a foreign writer's huge values): retried with half the keys. */
function isTooLarge(err: unknown): boolean {
  const e = err as { code?: unknown; message?: unknown } | undefined;
  return e?.code === 8 || /RESOURCE_EXHAUSTED|larger than max/i.test(String(e?.message));
}

/**
 * Every key-value under `prefix`, in key order, read page by page. A page that is
 * refused as too large is retried with half as many keys, down to one key.
 * `maxPages` bounds the loop (a server that keeps answering `more` never traps us).
 */
export async function rangeAll(call: RangeCall, prefix: string, pageSize = DEFAULT_PAGE_SIZE, maxPages = 100_000): Promise<IKeyValue[]> {
  if (!Number.isInteger(pageSize) || pageSize < 1) throw new RangeError(`pageSize must be an integer ≥ 1, received ${String(pageSize)}`);
  const rangeEnd = prefixEnd(Buffer.from(prefix));
  const out: IKeyValue[] = [];
  let key = Buffer.from(prefix);
  let revision: string | undefined;
  let limit = pageSize;
  for (let page = 0; page < maxPages; page++) {
    let res: IRangeResponse;
    try {
      res = await call({ key, range_end: rangeEnd, limit, ...(revision === undefined ? {} : { revision }) });
    } catch (err) {
      if (limit > 1 && isTooLarge(err)) {
        limit = Math.max(1, Math.floor(limit / 2));
        continue;
      }
      throw err;
    }
    revision ??= res.header.revision;
    out.push(...res.kvs);
    const last = res.kvs[res.kvs.length - 1];
    if (!res.more || last === undefined) return out;
    key = Buffer.concat([last.key, Buffer.from([0])]); // the next key after `last`
  }
  throw new Error(`range over ${JSON.stringify(prefix)} still had more keys after ${maxPages} pages`);
}
