import * as net from 'node:net';
import { answerUnlessStalled } from './stall';

/** Keeps the event loop from turning for ms (a process that is busy, or that the machine did not run). */
function busy(ms: number): void {
  const until = Date.now() + ms;
  while (Date.now() < until) {
    // spin
  }
}

const never = new Promise<never>(() => undefined);
const quietWatch = { lastHeardAt: () => 0, isClosed: () => false };

describe('answerUnlessStalled', () => {
  test('an answer that arrived while the process was too busy to read it is taken, not a stall', async () => {
    // A loopback connection stands for etcd: its answer sits in the socket while the event loop is
    // blocked for three stall periods; the stall timer is then due before the socket is read.
    const server = net.createServer();
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const accepted = new Promise<net.Socket>((r) => server.once('connection', r));
    const client = net.connect((server.address() as net.AddressInfo).port, '127.0.0.1');
    await new Promise((r) => client.once('connect', r));
    const peer = await accepted;
    try {
      const answer = new Promise<string>((r) => client.once('data', (b: Buffer) => r(b.toString())));
      const outcome = answerUnlessStalled(answer, 100, quietWatch);
      peer.write('answer');
      busy(300);
      await expect(outcome).resolves.toEqual({ answered: true, value: 'answer' });
    } finally {
      client.destroy();
      peer.destroy();
      server.close();
    }
  });

  test('an attempt nothing answers while etcd is silent is declared stalled', async () => {
    await expect(answerUnlessStalled(never, 20, quietWatch)).resolves.toEqual({ answered: false });
  });

  test('while etcd keeps answering other calls, a slow attempt is waited for', async () => {
    const slow = new Promise<string>((r) => setTimeout(() => r('late'), 200));
    await expect(answerUnlessStalled(slow, 20, { lastHeardAt: () => Date.now(), isClosed: () => false })).resolves.toEqual({ answered: true, value: 'late' });
  });

  test("the attempt's error is passed on", async () => {
    await expect(answerUnlessStalled(Promise.reject(new Error('unavailable')), 20, quietWatch)).rejects.toThrow('unavailable');
  });

  test('a closed storage never declares a stall: its attempt fails instead', async () => {
    const failsLater = new Promise<never>((_, j) => setTimeout(() => j(new Error('storage is closed')), 100));
    await expect(answerUnlessStalled(failsLater, 10, { lastHeardAt: () => 0, isClosed: () => true })).rejects.toThrow('storage is closed');
  });
});
