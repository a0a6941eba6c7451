// The fake runtime's contract: the sandbox and container lifecycle, crash and failure injection.
import { FakeRuntime } from './fake-runtime';

describe('FakeRuntime', () => {
  test('sandbox → container lifecycle, crash injection, stop, remove', async () => {
    const rt = new FakeRuntime({ images: ['img'] });
    const sb = { name: 'p', namespace: 'd', uid: 'u', attempt: 0, hostname: 'p', logDirectory: '/l', portMappings: [], labels: {}, annotations: {}, cgroupParent: '/x' };
    const sid = await rt.runPodSandbox(sb);
    expect((await rt.podSandboxStatus(sid)).ip).toMatch(/^10\.88\./);
    const ctr = { name: 'c', attempt: 0, image: 'img', command: [], args: [], workingDir: '', env: [], mounts: [], logPath: 'c/0.log', labels: {}, annotations: {}, resources: {} };
    const cid = await rt.createContainer(sid, ctr, sb);
    await rt.startContainer(cid);
    expect((await rt.containerStatus(cid)).state).toBe('CONTAINER_RUNNING');
    rt.crash(cid, 3);
    expect(await rt.containerStatus(cid)).toMatchObject({ state: 'CONTAINER_EXITED', exitCode: 3, reason: 'Error', logPath: '/l/c/0.log' });
    await expect(rt.createContainer(sid, { ...ctr, image: 'missing' }, sb)).rejects.toMatchObject({ code: 5 });
    rt.failNext('startContainer');
    const c2 = await rt.createContainer(sid, ctr, sb);
    await expect(rt.startContainer(c2)).rejects.toThrow('injected');
    await rt.stopPodSandbox(sid);
    await rt.removePodSandbox(sid);
    expect(rt.counts()).toEqual({ sandboxes: 0, containers: 0, running: 0 });
  });
});
