// Requests from components in the apiserver's own process (`steer server`), served with no connection in
// between. They go through the same express app as a connection's requests (authentication, audit,
// metrics, routing, the body reader), as request and response objects of the app's own classes: the
// body is pushed into the request, the answer collected from the response. What this saves is the HTTP
// round trip inside one process — client request, socket writes and reads, both parsers, keep-alive
// pooling — which was about a fifth of `steer server`'s CPU while it started 27 pods (profiled). A watch
// streams the same way: each piece the handler writes goes to the client's sink as it is written (the
// watch handler writes from a timer or setImmediate, never inside a store commit). Exec, attach,
// port-forward and log follows still take a connection.
import { EventEmitter } from 'node:events';
import type * as http from 'node:http';
import type { Socket } from 'node:net';
import type { InProcessApi, InProcessRequest, InProcessResponse, InProcessStreamSink } from '../lib/api/in-process';

/**
 * The connection an in-process request says it came on. Nothing is read from or written to it, but
 * Node's request and the body reader look at it: body-parser reads a body only while its request's
 * connection is readable, and the request resumes its connection when read.
 */
export class InProcessConnection extends EventEmitter {
  readonly readable = true;
  readonly writable = true;
  readonly encrypted = false;
  readonly destroyed = false;
  readonly remoteAddress: string | undefined = undefined;
  resume(): this {
    return this;
  }
  pause(): this {
    return this;
  }
  setTimeout(): this {
    return this;
  }
  setNoDelay(): this {
    return this;
  }
  setKeepAlive(): this {
    return this;
  }
  destroy(): this {
    return this;
  }
}

export interface AppMessageClasses {
  IncomingMessage: typeof http.IncomingMessage;
  ServerResponse: typeof http.ServerResponse;
}

type Handler = (req: http.IncomingMessage, res: http.ServerResponse) => void;
type WriteCallback = (err?: Error | null) => void;

function connectionReset(): Error {
  return Object.assign(new Error('socket hang up: the apiserver ended the answer unfinished'), { code: 'ECONNRESET' });
}

/** The Content-Type among headers given to writeHead (an object, or a flat [name, value, …] list). */
function contentTypeOf(headers: unknown): string | undefined {
  if (!headers || typeof headers !== 'object') return undefined;
  if (Array.isArray(headers)) {
    for (let i = 0; i + 1 < headers.length; i += 2) if (String(headers[i]).toLowerCase() === 'content-type') return String(headers[i + 1]);
    return undefined;
  }
  for (const [k, v] of Object.entries(headers as Record<string, unknown>)) if (k.toLowerCase() === 'content-type' && v !== undefined) return String(v);
  return undefined;
}

/**
 * In-process requests into `app`. `connection` is the one connection every such request claims: the
 * server registers it where it registers its local socket's connections, so the local socket's
 * per-component tokens authenticate in-process requests too, and nothing else.
 */
export function inProcessApi(app: Handler, classes: AppMessageClasses, connection: InProcessConnection): InProcessApi & { closeStreams(): void } {
  const AppRequest = classes.IncomingMessage;
  const AppResponse = classes.ServerResponse;
  const base = AppResponse.prototype;
  const streams = new Set<http.ServerResponse>();

  const request = (r: InProcessRequest): http.IncomingMessage => {
    const req = new AppRequest(connection as unknown as Socket);
    req.method = r.method;
    req.url = r.path;
    req.httpVersion = '1.1';
    req.httpVersionMajor = 1;
    req.httpVersionMinor = 1;
    const headers: Record<string, string> = { host: 'localhost', ...r.headers };
    if (r.body !== undefined) headers['content-length'] = String(Buffer.byteLength(r.body));
    req.headers = headers;
    req.rawHeaders = Object.entries(headers).flat();
    if (r.body !== undefined) req.push(r.body);
    req.push(null);
    req.complete = true;
    return req;
  };

  /**
   * A response of the app's class whose writes are collected — or, given `data`, handed on as written
   * when the answer is a 2xx. Its methods are the instance's own: express gives every response the app's
   * prototype, which would take overrides on a subclass away.
   */
  const response = (req: http.IncomingMessage, done: (r: InProcessResponse | Error) => void, data?: (chunk: string) => void): http.ServerResponse => {
    const res = new AppResponse(req);
    const chunks: Array<string | Buffer> = [];
    let contentType: string | undefined;
    let settled = false;
    let streaming = false;
    const settle = (answer: InProcessResponse | Error): void => {
      if (settled) return;
      settled = true;
      done(answer);
    };
    const whole = (): string => (chunks.length === 0 ? '' : chunks.length === 1 ? chunks[0].toString() : chunks.every((x) => typeof x === 'string') ? chunks.join('') : Buffer.concat(chunks.map((x) => (typeof x === 'string' ? Buffer.from(x) : x))).toString('utf8'));
    const writeHead = (statusCode: number, reasonOrHeaders?: unknown, headers?: unknown): http.ServerResponse => {
      contentType = contentTypeOf(typeof reasonOrHeaders === 'string' ? headers : reasonOrHeaders) ?? contentType;
      const args = [reasonOrHeaders, headers].filter((a) => a !== undefined);
      (base.writeHead as (...a: unknown[]) => http.ServerResponse).call(res, statusCode, ...args);
      streaming = !!data && res.statusCode < 300;
      return res;
    };
    const write = (chunk: unknown, encoding?: BufferEncoding | WriteCallback, cb?: WriteCallback): boolean => {
      if (typeof encoding === 'function') {
        cb = encoding;
        encoding = undefined;
      }
      if (res.writableEnded || res.destroyed) {
        if (cb) process.nextTick(cb, new Error('write after end'));
        return false;
      }
      if (!res.headersSent) writeHead(res.statusCode);
      if (chunk !== undefined && chunk !== null && req.method !== 'HEAD') {
        let piece: string | Buffer;
        if (typeof chunk === 'string') piece = encoding && encoding !== 'utf8' && encoding !== 'utf-8' ? Buffer.from(chunk, encoding) : chunk;
        else if (Buffer.isBuffer(chunk)) piece = chunk;
        else if (chunk instanceof Uint8Array) piece = Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
        else throw new TypeError('in-process response: a chunk must be a string, Buffer or Uint8Array');
        if (streaming && data) data(piece.toString());
        else chunks.push(piece);
      }
      if (cb) process.nextTick(cb);
      return true;
    };
    const end = (chunk?: unknown, encoding?: BufferEncoding | (() => void), cb?: () => void): http.ServerResponse => {
      if (typeof chunk === 'function') {
        cb = chunk as () => void;
        chunk = undefined;
      } else if (typeof encoding === 'function') {
        cb = encoding;
        encoding = undefined;
      }
      if (res.writableEnded || res.destroyed) return res;
      if (chunk !== undefined && chunk !== null) write(chunk, encoding);
      else if (!res.headersSent) writeHead(res.statusCode);
      res.finished = true; // writableEnded
      settle({ statusCode: res.statusCode, contentType: contentType ?? String(res.getHeader('content-type') ?? ''), body: whole() });
      process.nextTick(() => {
        res.emit('prefinish');
        res.emit('finish');
        cb?.();
        res.emit('close');
      });
      return res;
    };
    const destroy = (error?: Error): http.ServerResponse => {
      if (res.destroyed) return res;
      (res as { destroyed: boolean }).destroyed = true;
      settle(error ?? connectionReset());
      process.nextTick(() => res.emit('close'));
      return res;
    };
    // Node's would queue the header text for a connection there is not.
    const flushHeaders = (): void => {
      if (!res.headersSent) writeHead(res.statusCode);
    };
    Object.assign(res, { writeHead, write, end, destroy, flushHeaders });
    return res;
  };

  return {
    request: (r) =>
      new Promise<InProcessResponse>((resolve, reject) => {
        const req = request(r);
        app(req, response(req, (answer) => (answer instanceof Error ? reject(answer) : resolve(answer))));
      }),
    stream: (r: InProcessRequest, sink: InProcessStreamSink) => {
      const req = request(r);
      const res = response(
        req,
        (answer) => {
          streams.delete(res);
          sink.end(answer);
        },
        (chunk) => sink.data(chunk),
      );
      streams.add(res);
      app(req, res);
      return { stop: () => void res.destroy() };
    },
    // As closing the server's connections does: every stream still open breaks off.
    closeStreams: () => {
      for (const res of [...streams]) res.destroy();
    },
  };
}
