// A request handed to an apiserver running in the same process, with no connection in between: `steer
// server`'s components reach their apiserver this way (apiserver/in-process.ts serves it through the
// same handler chain as a connection, lib/client's KubeClient sends it). Both sides agree on this shape.

export interface InProcessRequest {
  method: string;
  /** Path and query, as on an HTTP request line. */
  path: string;
  /** Header names in lower case. */
  headers: Record<string, string>;
  body?: string;
}

export interface InProcessResponse {
  statusCode: number;
  /** The answer's Content-Type ('' without one). */
  contentType: string;
  body: string;
}

/** Where a streamed answer (a watch) goes, piece by piece as the server writes it. */
export interface InProcessStreamSink {
  /** A piece of a 2xx answer. */
  data(chunk: string): void;
  /** The answer is over: a 2xx one (its body went to data), an error answer whole, or why it broke off. */
  end(answer: InProcessResponse | Error): void;
}

/** An apiserver in this process, as its clients there reach it. */
export interface InProcessApi {
  /** One request; resolves with the whole answer. */
  request(req: InProcessRequest): Promise<InProcessResponse>;
  /** One request whose answer streams (a watch) until the server ends it or the client stops it. */
  stream(req: InProcessRequest, sink: InProcessStreamSink): { stop(): void };
}
