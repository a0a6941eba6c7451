// PLEG with and without the runtime's exit events: with events an exit is reported without a relist
// and relisting backs off while nothing changes; without them it keeps its period.
import { LABEL_NODE, LABEL_POD_UID } from './labels';
import { Pleg } from './pleg';
import { FakeRuntime } from './runtime/fake-runtime';

const NODE = 'n1';

async function runningPod(runtime: FakeRuntime, uid: string): Promise<string> {
  const labels = { [LABEL_NODE]: NODE, [LABEL_POD_UID]: uid };
  const sandbox = { name: uid, namespace: 'default', uid, attempt: 0, hostname: uid, logDirectory: '/tmp', portMappings: [], labels, annotations: {}, cgroupParent: '' };
  const sb = await runtime.runPodSandbox(sandbox);
  const c = await runtime.createContainer(sb, { name: 'app', attempt: 0, image: 'img', command: [], args: [], workingDir: '', env: [], mounts: [], logPath: 'app/0.log', labels, annotations: {}, resources: {} }, sandbox);
  await runtime.startContainer(c);
  return c;
}

const until = async (what: string, check: () => boolean) => {
  for (let i = 0; i < 1200 && !check(); i++) await new Promise((r) => setTimeout(r, 5));
  if (!check()) throw new Error(`never: ${what}`);
};

test('with exit events, an exit is reported without a relist and relisting backs off while nothing changes', async () => {
  const runtime = new FakeRuntime({ images: ['img'], exitEvents: true });
  const id = await runningPod(runtime, 'pod-a');
  const changes: string[][] = [];
  const pleg = new Pleg({ runtime, nodeName: NODE, intervalMs: 5, maxIntervalMs: 200, pidWatchMs: 5, onChange: (uids) => changes.push(uids) });
  await pleg.start();
  try {
    expect(pleg.eventDriven()).toBe(true);
    await until('the period reaches its maximum', () => pleg.relistPeriod() === 200);
    const relists = pleg.relists();
    changes.length = 0;
    runtime.crash(id, 137);
    await until('the exit is reported', () => changes.length > 0);
    expect(changes).toEqual([['pod-a']]);
    expect(pleg.relists()).toBe(relists); // seen from the event, not from a relist
    expect(pleg.allPods().get('pod-a')?.containers[0].state).toBe('CONTAINER_EXITED');
    expect(pleg.relistPeriod()).toBe(5); // something happened: back to the short period
  } finally {
    pleg.stop();
  }
});

test('without exit events the period stays and the exit is found by a relist', async () => {
  const runtime = new FakeRuntime({ images: ['img'] });
  const id = await runningPod(runtime, 'pod-b');
  const changes: string[][] = [];
  const pleg = new Pleg({ runtime, nodeName: NODE, intervalMs: 5, maxIntervalMs: 200, onChange: (uids) => changes.push(uids) });
  await pleg.start();
  try {
    expect(pleg.eventDriven()).toBe(false);
    const start = pleg.relists();
    await until('several relists', () => pleg.relists() >= start + 5);
    expect(pleg.relistPeriod()).toBe(5);
    changes.length = 0;
    const relists = pleg.relists();
    runtime.crash(id, 137);
    await until('the exit is reported', () => changes.length > 0);
    expect(pleg.relists()).toBeGreaterThan(relists);
  } finally {
    pleg.stop();
  }
});

test("exits the agent expects (it is stopping those containers itself) cost no status poll and no relist", async () => {
  const polls: string[] = [];
  const runtime = new FakeRuntime({ images: ['img'], exitEvents: true });
  const id = await runningPod(runtime, 'pod-c');
  const status = runtime.containerStatus.bind(runtime);
  runtime.containerStatus = async (cid: string) => {
    polls.push(cid);
    return status(cid);
  };
  const changes: string[][] = [];
  const pleg = new Pleg({ runtime, nodeName: NODE, intervalMs: 5, maxIntervalMs: 60_000, onChange: (uids) => changes.push(uids) });
  await pleg.start();
  try {
    // Caught within 5 ms of the relist that set it: the next timed relist is seconds away.
    await until('backed off', () => pleg.relistPeriod() >= 2560);
    const relists = pleg.relists();
    polls.length = 0;
    changes.length = 0;
    pleg.expectExits([id]);
    await runtime.stopContainer(id, 0);
    await new Promise((r) => setTimeout(r, 50));
    expect(polls).toEqual([]);
    expect(changes).toEqual([]);
    expect(pleg.relists()).toBe(relists);
    expect(pleg.expectedExitCount()).toBe(0); // consumed by its event
  } finally {
    pleg.stop();
  }
});

test('observing a pod no newer than the last relist costs no relist; a newer moment does', async () => {
  const runtime = new FakeRuntime({ images: ['img'], exitEvents: true });
  await runningPod(runtime, 'pod-c');
  const pleg = new Pleg({ runtime, nodeName: NODE, intervalMs: 60_000, onChange: () => undefined });
  const before = Date.now() - 1;
  await pleg.start();
  try {
    const relists = pleg.relists();
    // An idle pod's resync: nothing changed since before the last relist began.
    for (let i = 0; i < 5; i++) expect((await pleg.observe('pod-c', before)).containers).toHaveLength(1);
    expect(await pleg.observe('pod-c', 0)).toBeDefined();
    expect(pleg.relists()).toBe(relists);
    // After a change of its own the caller asks for a later moment: that one relists.
    await new Promise((r) => setTimeout(r, 2));
    await pleg.observe('pod-c', Date.now());
    expect(pleg.relists()).toBe(relists + 1);
  } finally {
    pleg.stop();
  }
});

/**
 * A pod whose container is SIGKILLed (137) on a runtime whose status (and list) of it still says running
 * after the exit event, as containerd's CRI plugin does for tens of ms; `caughtUp(reason)` ends the lag
 * with that reason. Resolves once the PLEG has reported the exit.
 */
async function crashedWhileRuntimeLags(uid: string): Promise<{ pleg: Pleg; changes: string[][]; caughtUp(reason?: string): void; polls: () => number }> {
  const runtime = new FakeRuntime({ images: ['img'], exitEvents: true });
  const lagging = new Map<string, string | undefined>();
  let polls = 0;
  const status = runtime.containerStatus.bind(runtime);
  runtime.containerStatus = async (id: string) => {
    polls++;
    const st = await status(id);
    if (!lagging.has(id)) return st;
    const reason = lagging.get(id);
    return reason === undefined ? { ...st, state: 'CONTAINER_RUNNING', exitCode: 0, finishedAt: 0, reason: '' } : { ...st, reason };
  };
  const list = runtime.listContainers.bind(runtime);
  runtime.listContainers = async (filter) => (await list(filter)).map((c) => (lagging.has(c.id) && lagging.get(c.id) === undefined ? { ...c, state: 'CONTAINER_RUNNING' } : c));
  const id = await runningPod(runtime, uid);
  const changes: string[][] = [];
  const pleg = new Pleg({ runtime, nodeName: NODE, intervalMs: 60_000, onChange: (uids) => changes.push(uids) });
  await pleg.start();
  changes.length = 0;
  lagging.set(id, undefined);
  runtime.crash(id, 137);
  await until('the exit is reported', () => changes.length > 0);
  return { pleg, changes, caughtUp: (reason) => lagging.set(id, reason ?? 'Error'), polls: () => polls };
}

test("an exit event reports the container exited at once, with the event's code, while the runtime's status still says running", async () => {
  const { pleg, changes, caughtUp, polls } = await crashedWhileRuntimeLags('pod-d');
  try {
    expect(changes).toEqual([['pod-d']]);
    const c = pleg.allPods().get('pod-d')!.containers[0];
    expect(c).toMatchObject({ state: 'CONTAINER_EXITED', exitCode: 137, reason: 'Error' });
    expect(c.finishedAt).toBeGreaterThan(0);
    // A relist meanwhile (the runtime lists it running still) keeps it exited and reports nothing new.
    await pleg.relist();
    expect(pleg.allPods().get('pod-d')!.containers[0].state).toBe('CONTAINER_EXITED');
    await until('its status is polled again', () => polls() >= 3);
    // The runtime catches up with the same exit: no second report.
    caughtUp();
    await new Promise((r) => setTimeout(r, 120));
    expect(changes).toEqual([['pod-d']]);
    expect(pleg.allPods().get('pod-d')!.containers[0]).toMatchObject({ state: 'CONTAINER_EXITED', exitCode: 137, reason: 'Error' });
  } finally {
    pleg.stop();
  }
});

test('what the runtime adds to an exit its event reported (OOMKilled) is reported as a second change', async () => {
  const { pleg, changes, caughtUp } = await crashedWhileRuntimeLags('pod-e');
  try {
    expect(pleg.allPods().get('pod-e')!.containers[0].reason).toBe('Error');
    caughtUp('OOMKilled');
    await until('the runtime status is reported', () => changes.length === 2);
    expect(changes[1]).toEqual(['pod-e']);
    expect(pleg.allPods().get('pod-e')!.containers[0]).toMatchObject({ state: 'CONTAINER_EXITED', exitCode: 137, reason: 'OOMKilled' });
  } finally {
    pleg.stop();
  }
});

test("with exit events, container statuses are asked for plainly (no verbose spec) and keep their sandbox from the list; without, verbosely (the PID watch needs the PIDs)", async () => {
  for (const exitEvents of [true, false]) {
    const runtime = new FakeRuntime({ images: ['img'], exitEvents });
    const id = await runningPod(runtime, 'pod-v');
    const asked: Array<boolean | undefined> = [];
    const status = runtime.containerStatus.bind(runtime);
    runtime.containerStatus = (cid: string, o?: { verbose?: boolean }) => (asked.push(o?.verbose), status(cid, o));
    const pleg = new Pleg({ runtime, nodeName: NODE, intervalMs: 5, maxIntervalMs: 200, pidWatchMs: 5, onChange: () => undefined });
    await pleg.start();
    try {
      expect(pleg.wantsPids()).toBe(!exitEvents);
      expect(asked).toEqual([!exitEvents]);
      const seen = pleg.allPods().get('pod-v')?.containers[0];
      expect(seen?.podSandboxId).toBe((await runtime.listContainers())[0].podSandboxId);
      expect(seen?.podSandboxId).not.toBe('');
      expect(seen?.id).toBe(id);
    } finally {
      pleg.stop();
    }
  }
});
