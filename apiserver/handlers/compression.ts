// gzip of large answers, as kube-apiserver's APIResponseCompression (on by default since 1.16): a body
// of more than 128 KiB goes out gzip-encoded at level 1 when the request's Accept-Encoding has a
// `gzip` token. Browsers, client-node (node-fetch) and Go clients such as kubectl send one; a LIST of
// 1,000 pods shrinks about tenfold, which is what a console or kubectl far from the server waits on.
// Level 1 because it costs the least CPU for nearly the same ratio (kubernetes/kubernetes#112296).
// Small bodies, watches and steer's own components (node:http, no Accept-Encoding) are not touched.
// zlib runs on libuv's thread pool, so the event loop is not held while a big body is compressed.
import type { IncomingMessage, OutgoingHttpHeaders, ServerResponse } from 'node:http';
import * as zlib from 'node:zlib';

/** Bodies larger than this are compressed (kube's defaultGzipThresholdBytes). */
export const GZIP_THRESHOLD_BYTES = 128 * 1024;
/** kube's defaultGzipContentEncodingLevel. */
const GZIP_LEVEL = 1;

/**
 * Whether the request accepts gzip, read as kube's negotiateContentEncoding does: a comma-separated
 * token that is exactly `gzip` once trimmed (a token with parameters, `gzip;q=0.5`, does not count).
 */
export function acceptsGzip(req: IncomingMessage | undefined): boolean {
  const header = req?.headers['accept-encoding'];
  if (!header) return false;
  const value = Array.isArray(header) ? header.join(',') : header;
  return value.split(',').some((token) => token.trim() === 'gzip');
}

/** True when a body of `length` bytes to this response's request goes out gzip-encoded. */
export function shouldGzip(res: ServerResponse, length: number): boolean {
  return length > GZIP_THRESHOLD_BYTES && acceptsGzip(res.req);
}

/** The headers of a gzip-encoded answer: no Content-Length (chunked), as kube's streaming writer sends it. */
function gzipHeaders(headers: OutgoingHttpHeaders): OutgoingHttpHeaders {
  const out: OutgoingHttpHeaders = { ...headers, 'Content-Encoding': 'gzip', Vary: 'Accept-Encoding' };
  delete out['Content-Length'];
  return out;
}

/**
 * Writes a whole body and its `trailer` (a JSON answer's newline; written after the body, so stored
 * bytes are not copied to append it): gzip-encoded when `shouldGzip` says so, else as they are with
 * their Content-Length. `headers` must not carry Content-Length; it is set here.
 */
export function writeBody(res: ServerResponse, code: number, headers: OutgoingHttpHeaders, body: string | Buffer, trailer = ''): void {
  const length = (typeof body === 'string' ? Buffer.byteLength(body) : body.length) + Buffer.byteLength(trailer);
  if (!shouldGzip(res, length)) {
    res.writeHead(code, { ...headers, 'Content-Length': length });
    if (!trailer) return void res.end(body);
    if (typeof body === 'string') return void res.end(body + trailer);
    res.write(body);
    res.end(trailer);
    return;
  }
  const whole = typeof body === 'string' ? body + trailer : trailer ? Buffer.concat([body, Buffer.from(trailer)]) : body;
  zlib.gzip(whole, { level: GZIP_LEVEL }, (err, gz) => {
    if (res.destroyed) return;
    if (err) {
      // Not expected from an in-memory buffer; the body still goes out, uncompressed.
      res.writeHead(code, { ...headers, 'Content-Length': length });
      res.end(whole);
      return;
    }
    res.writeHead(code, { ...gzipHeaders(headers), 'Content-Length': gz.length });
    res.end(gz);
  });
}

/**
 * For a body written in pieces (a big LIST): the headers are sent and a gzip stream piped into the
 * response is returned, to be written and ended instead of `res`. Destroyed with the response.
 */
export function gzipStream(res: ServerResponse, code: number, headers: OutgoingHttpHeaders): zlib.Gzip {
  res.writeHead(code, gzipHeaders(headers));
  const gz = zlib.createGzip({ level: GZIP_LEVEL });
  gz.pipe(res);
  res.once('close', () => gz.destroy());
  return gz;
}
