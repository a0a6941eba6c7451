// The body of a LIST: the list's head, then each item's stored JSON bytes as they are, then the tail.
// Nothing is re-encoded and the body is never one string: items are copied into chunks of at most
// LIST_CHUNK_BYTES that are written as the socket takes them, so a big LIST costs one copy of its bytes
// and bounded extra memory, whatever its size. The length is known up front (Content-Length).
import type { ServerResponse } from 'node:http';
import type { StoredObject } from '../storage/types';

/** The most bytes copied into one socket write (larger chunks cost page faults on fresh memory). */
export const LIST_CHUNK_BYTES = 256 * 1024;

const COMMA = 0x2c;
const TAIL = Buffer.from(']}');

/**
 * Writes `head` (ending in `"items":[`), the items separated by commas and `]}`; resolves once the
 * last byte is handed to the socket or the client has gone.
 */
export function sendStoredList(res: ServerResponse, head: string, items: readonly StoredObject[], chunkBytes = LIST_CHUNK_BYTES): Promise<void> {
  const headBytes = Buffer.from(head);
  let total = headBytes.length + TAIL.length + Math.max(0, items.length - 1);
  for (const s of items) total += s.bytes.length;
  res.writeHead(200, { 'Content-Type': 'application/json', 'Content-Length': total });

  let next = 0; // the next item to copy
  let headSent = false;
  let tailSent = false;
  /** The next piece of the body, or undefined when all of it has been produced. */
  const nextChunk = (): Buffer | undefined => {
    if (tailSent) return undefined;
    const size = Math.min(chunkBytes, total);
    let chunk = Buffer.allocUnsafe(size);
    let off = 0;
    if (!headSent) {
      headSent = true;
      if (headBytes.length > size) return headBytes;
      off += headBytes.copy(chunk, off);
    }
    for (; next < items.length; next++) {
      const bytes = items[next].bytes;
      const need = bytes.length + (next > 0 ? 1 : 0);
      if (off + need > size) {
        if (off > 0) return chunk.subarray(0, off);
        // One item larger than a chunk: a chunk of its own.
        chunk = Buffer.allocUnsafe(need);
      }
      if (next > 0) chunk[off++] = COMMA;
      off += bytes.copy(chunk, off);
      if (off >= chunk.length) {
        next++;
        return chunk;
      }
    }
    if (off + TAIL.length > chunk.length) return chunk.subarray(0, off);
    off += TAIL.copy(chunk, off);
    tailSent = true;
    return chunk.subarray(0, off);
  };

  return new Promise((resolve) => {
    const pump = (): void => {
      for (;;) {
        if (res.destroyed) return resolve();
        const chunk = nextChunk();
        if (!chunk) {
          res.end();
          return resolve();
        }
        if (!res.write(chunk)) {
          res.once('drain', pump);
          return;
        }
      }
    };
    res.once('close', resolve);
    pump();
  });
}
