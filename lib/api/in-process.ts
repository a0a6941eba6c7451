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

export type InProcessDispatch = (req: InProcessRequest) => Promise<InProcessResponse>;
