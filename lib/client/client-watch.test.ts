// KubeClient.watchPath's framing of a watch stream into events: a line split over several chunks,
// several lines in one chunk, blank lines, and a malformed line ending the watch with an error.
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import { KubeClient, type WatchEvent } from './client';

type Obj = { metadata: { name: string } };

/** A server answering one watch with the given chunks, written this many ms apart. */
async function serveChunks(chunks: string[], gapMs = 15): Promise<{ url: string; close(): Promise<void> }> {
  const server = http.createServer(async (_req, res) => {
    res.writeHead(200, { 'Content-Type': 'application/json' });
    for (const c of chunks) {
      res.write(c);
      await new Promise((r) => setTimeout(r, gapMs));
    }
    res.end();
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}`, close: () => new Promise((r) => server.close(() => r())) };
}

async function watchAll(chunks: string[]): Promise<{ names: string[]; err?: Error }> {
  const srv = await serveChunks(chunks);
  const client = KubeClient.forServer(srv.url);
  const names: string[] = [];
  try {
    const err = await new Promise<Error | undefined>((resolve) => {
      void client.watchPath<Obj>('/api/v1/pods', { watch: true }, (e: WatchEvent<Obj>) => names.push(`${e.type} ${e.object.metadata.name}`), resolve);
    });
    return { names, err };
  } finally {
    client.close();
    await srv.close();
  }
}

const ev = (type: string, name: string) => JSON.stringify({ type, object: { metadata: { name } } });

describe('KubeClient watch framing', () => {
  it('joins a line split over chunks and splits chunks holding several lines, in order', async () => {
    const a = ev('ADDED', 'a');
    const b = ev('MODIFIED', 'b');
    const c = ev('DELETED', 'c');
    const d = ev('ADDED', 'd');
    const { names, err } = await watchAll([a.slice(0, 5), a.slice(5, 20), `${a.slice(20)}\n${b}\n\n${c.slice(0, 9)}`, `${c.slice(9)}\n`, `${d}\n`]);
    expect(err).toBeUndefined();
    expect(names).toEqual(['ADDED a', 'MODIFIED b', 'DELETED c', 'ADDED d']);
  });

  it('keeps an unfinished tail until its newline arrives', async () => {
    const a = ev('ADDED', 'a');
    const b = ev('ADDED', 'b');
    const { names } = await watchAll([`${a}\n${b.slice(0, b.length - 1)}`, `${b.slice(b.length - 1)}\n`]);
    expect(names).toEqual(['ADDED a', 'ADDED b']);
  });

  it('ends the watch with an error on a malformed line, after the events before it', async () => {
    const { names, err } = await watchAll([`${ev('ADDED', 'a')}\n{"type":`, `oops\n${ev('ADDED', 'b')}\n`]);
    expect(names).toEqual(['ADDED a']);
    expect(err?.message).toMatch(/malformed event line/);
  });
});
