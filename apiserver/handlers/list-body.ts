// The body of a LIST: the list's head, then each item's stored JSON bytes as they are, then the tail.
// Nothing is re-encoded and the body is never one string: items are copied into chunks of
// LIST_CHUNK_BYTES that are written as the socket takes them, so a big LIST costs one copy of its bytes
// and bounded extra memory, whatever its size. The length is known up front (Content-Length).
//
// Chunks are reused once the socket has taken them: memory fresh from the OS costs a page fault per
// 4 KiB page, which for a 10,000-pod LIST was most of the server's CPU time.
//
// A big body to a client that accepts gzip goes through a gzip stream instead (compression.ts), and
// then without a Content-Length.
import type { ServerResponse } from 'node:http';
import type { Writable } from 'node:stream';
import type { StoredObject } from '../storage/types';
import { gzipStream, shouldGzip } from './compression';

/** The most bytes copied into one socket write. */
export const LIST_CHUNK_BYTES = 256 * 1024;
/** Written chunks kept for the next LIST (each LIST has one or two in flight at a time). */
const MAX_SPARE_CHUNKS = 4;
const spareChunks: Buffer[] = [];

function takeChunk(size: number): Buffer {
  return (size === LIST_CHUNK_BYTES && spareChunks.pop()) || Buffer.allocUnsafeSlow(size);
}

/** After the socket took a chunk: keep it unless the write failed (the socket may still hold it). */
function returnChunk(chunk: Buffer, err: Error | null | undefined): void {
  if (!err && chunk.length === LIST_CHUNK_BYTES && spareChunks.length < MAX_SPARE_CHUNKS) spareChunks.push(chunk);
}

const COMMA = 0x2c;
const COMMA_BYTES = Buffer.from(',');
// kube's JSON serializer ends a LIST, like every answer, with a newline (Go's json.Encoder.Encode).
export const LIST_TAIL = ']}\n';

/**
 * Writes `head` (ending in `"items":[`), the items separated by commas and `tail` (starting with `]`);
 * resolves once the last byte is handed to the socket or the client has gone.
 */
export function sendStoredList(res: ServerResponse, head: string, items: readonly StoredObject[], chunkBytes = LIST_CHUNK_BYTES, tail = LIST_TAIL): Promise<void> {
  const headBytes = Buffer.from(head);
  const tailBytes = Buffer.from(tail);
  let total = headBytes.length + tailBytes.length + Math.max(0, items.length - 1);
  for (const s of items) total += s.bytes.length;
  const gzip = shouldGzip(res, total);
  if (!gzip) res.writeHead(200, { 'Content-Type': 'application/json', 'Content-Length': total });

  let next = 0; // the next item to copy
  let headSent = false;
  let tailSent = false;
  /** Fills `chunk` with the next piece of the body; returns the bytes used (0: the body is complete). */
  const fill = (chunk: Buffer): number => {
    if (tailSent) return 0;
    let off = 0;
    if (!headSent) {
      if (headBytes.length > chunk.length) return -1;
      headSent = true;
      off += headBytes.copy(chunk, off);
    }
    for (; next < items.length; next++) {
      const bytes = items[next].bytes;
      const need = bytes.length + (next > 0 ? 1 : 0);
      if (off + need > chunk.length) return off > 0 ? off : -1;
      if (next > 0) chunk[off++] = COMMA;
      off += bytes.copy(chunk, off);
    }
    if (off + tailBytes.length > chunk.length) return off > 0 ? off : -1;
    off += tailBytes.copy(chunk, off);
    tailSent = true;
    return off;
  };
  /** What does not fit in a chunk (a huge head or item) is written on its own. */
  const oversized = (): Buffer => {
    if (!headSent) {
      headSent = true;
      return headBytes;
    }
    if (next >= items.length) {
      tailSent = true;
      return tailBytes;
    }
    const bytes = items[next].bytes;
    const piece = next > 0 ? Buffer.concat([COMMA_BYTES, bytes]) : bytes;
    next++;
    return piece;
  };

  if (total <= chunkBytes && !gzip) {
    // A small list: one buffer of its exact size.
    const body = Buffer.allocUnsafe(total);
    fill(body);
    res.end(body);
    return Promise.resolve();
  }
  // The gzip stream, like the socket, calls a write's callback once it has consumed the chunk.
  const out: Writable = gzip ? gzipStream(res, 200, { 'Content-Type': 'application/json' }) : res;
  return new Promise((resolve) => {
    const pump = (): void => {
      for (;;) {
        if (res.destroyed || out.destroyed) return resolve();
        const chunk = takeChunk(chunkBytes);
        const used = fill(chunk);
        let more: boolean;
        if (used === 0) {
          returnChunk(chunk, null);
          out.end();
          return resolve();
        }
        if (used < 0) {
          returnChunk(chunk, null);
          more = out.write(oversized());
        } else {
          more = out.write(chunk.subarray(0, used), (err) => returnChunk(chunk, err));
        }
        if (!more) {
          out.once('drain', pump);
          return;
        }
      }
    };
    res.once('close', resolve);
    pump();
  });
}
