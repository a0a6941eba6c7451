import type * as http from 'node:http';
import WebSocket from 'ws';
import { binaryFrameHead, forwardError, portForwardRefusal, portPrefix, requestIdOf, runtimeCause, StreamPairs, streamPort, webSocketProtocol, type StreamInfo } from './portforward';

/** ws's own framer (untyped): the reference the agent's frame heads are checked against. */
const Sender = (WebSocket as unknown as { Sender: { frame(data: Buffer, o: { fin: boolean; opcode: number; mask: boolean; readOnly: boolean; rsv1: boolean }): Buffer[] } }).Sender;

const stream = (id: number, headers: Record<string, string>): StreamInfo => ({ id, headers });
const request = (headers: Record<string, string>) => ({ headers }) as unknown as http.IncomingMessage;

describe('port-forward stream pairs (SPDY)', () => {
  it('pairs an error and a data stream by requestID, in either order, several requests at once', () => {
    const pairs = new StreamPairs<StreamInfo>();
    const e1 = stream(1, { streamtype: 'error', port: '80', requestid: '0' });
    const e2 = stream(3, { streamtype: 'error', port: '8081', requestid: '1' });
    const d2 = stream(5, { streamtype: 'data', port: '8081', requestid: '1' });
    const d1 = stream(7, { streamtype: 'data', port: '80', requestid: '0' });
    expect(pairs.add(e1, 0)).toBe('wait');
    expect(pairs.add(e2, 0)).toBe('wait');
    expect(pairs.add(d2, 0)).toEqual({ pair: { requestId: '1', data: d2, error: e2 } });
    expect(pairs.add(d1, 0)).toEqual({ pair: { requestId: '0', data: d1, error: e1 } });
    expect(pairs.size).toBe(0);
  });

  it('without requestID, the data stream pairs with the error stream opened just before it (kube)', () => {
    expect(requestIdOf(stream(5, { streamtype: 'error' }))).toBe('5');
    expect(requestIdOf(stream(7, { streamtype: 'data' }))).toBe('5');
    const pairs = new StreamPairs<StreamInfo>();
    expect(pairs.add(stream(5, { streamtype: 'error', port: '80' }), 0)).toBe('wait');
    expect(pairs.add(stream(7, { streamtype: 'data', port: '80' }), 0)).toMatchObject({ pair: { requestId: '5' } });
  });

  it('refuses unknown stream types and a second half of the same kind', () => {
    const pairs = new StreamPairs<StreamInfo>();
    expect(pairs.add(stream(1, { streamtype: 'stdin', requestid: '0' }), 0)).toEqual({ refused: 'invalid stream type "stdin"' });
    expect(pairs.add(stream(3, { streamtype: 'data', requestid: '0' }), 0)).toBe('wait');
    expect(pairs.add(stream(5, { streamtype: 'data', requestid: '0' }), 0)).toEqual({ refused: 'request 0 already has a data stream' });
  });

  it('takes out halves that waited too long, and forgets ended ones', () => {
    const pairs = new StreamPairs<StreamInfo>();
    const old = stream(1, { streamtype: 'error', requestid: 'a' });
    const young = stream(3, { streamtype: 'error', requestid: 'b' });
    const gone = stream(5, { streamtype: 'data', requestid: 'c' });
    pairs.add(old, 0);
    pairs.add(young, 20_000);
    pairs.add(gone, 0);
    pairs.remove(gone);
    expect(pairs.expired(30_000, 30_000)).toEqual([old]);
    expect(pairs.size).toBe(1);
    expect(pairs.expired(50_000, 30_000)).toEqual([young]);
  });

  it("reads the port header as kube does, with kube's messages", () => {
    expect(streamPort({ port: '8080' })).toBe(8080);
    expect(streamPort({})).toBe('"port" header is required');
    expect(streamPort({ port: 'http' })).toBe('unable to parse "http" as a port');
    expect(streamPort({ port: '70000' })).toBe('unable to parse "70000" as a port');
    expect(streamPort({ port: '0' })).toBe('port "0" must be > 0');
  });
});

describe('port-forward WebSocket channels and upgrades', () => {
  it('each channel starts with its port, uint16 little-endian', () => {
    expect([...portPrefix(18099)]).toEqual([0xb3, 0x46]);
  });

  it("frames a channel message as ws frames it (head + channel byte, then the payload), at every length form", () => {
    for (const n of [0, 1, 124, 125, 126, 65534, 65535, 70000]) {
      const payload = Buffer.alloc(n, 7);
      const theirs = Buffer.concat(Sender.frame(Buffer.concat([Buffer.from([4]), payload]), { fin: true, opcode: 2, mask: false, readOnly: false, rsv1: false }));
      expect(Buffer.concat([binaryFrameHead(4, n), payload]).equals(theirs)).toBe(true);
    }
  });

  it('answers the channel protocols, binary and base64, in the order offered; refuses the rest', () => {
    expect(webSocketProtocol(['v5.channel.k8s.io', 'v4.channel.k8s.io', 'channel.k8s.io'])).toBe('v4.channel.k8s.io');
    expect(webSocketProtocol(['base64.channel.k8s.io'])).toBe('base64.channel.k8s.io');
    expect(webSocketProtocol(['SPDY/3.1+portforward.k8s.io'])).toBeUndefined();
  });

  it('refuses, before the upgrade, what kube refuses: 403 for a protocol it lacks (kubectl then falls back to SPDY)', () => {
    expect(portForwardRefusal(request({ upgrade: 'websocket', 'sec-websocket-protocol': 'SPDY/3.1+portforward.k8s.io' }))).toMatchObject({ code: 403 });
    expect(portForwardRefusal(request({ upgrade: 'websocket', 'sec-websocket-protocol': 'v4.channel.k8s.io' }))).toBeUndefined();
    expect(portForwardRefusal(request({ upgrade: 'websocket' }))).toBeUndefined();
    expect(portForwardRefusal(request({ upgrade: 'SPDY/3.1', 'x-stream-protocol-version': 'portforward.k8s.io' }))).toBeUndefined();
    expect(portForwardRefusal(request({ upgrade: 'SPDY/3.1', 'x-stream-protocol-version': 'v4.channel.k8s.io' }))).toMatchObject({ code: 403 });
    expect(portForwardRefusal(request({ upgrade: 'h2c' }))).toMatchObject({ code: 400 });
  });

  it("errors read as kube's, the runtime's own prefix not doubled", () => {
    const pod = { name: 'abc123', uid: '', dial: () => Promise.reject(new Error('unused')) };
    const inner = 'failed to execute portforward in network namespace "/var/run/netns/cni-1": dial tcp4 127.0.0.1:8089: connect: connection refused';
    expect(runtimeCause(`error forwarding port 8089 to pod abc123, uid : ${inner}`)).toBe(inner);
    expect(runtimeCause('something else')).toBe('something else');
    expect(forwardError(pod, 8089, inner)).toBe(`error forwarding port 8089 to pod abc123, uid : ${inner}`);
  });
});
