// measureCriFloor on the real runtime (small counts): figures are real timings, and it leaves no pod.
import { formatCriFloor, formatRestartFloor, formatTeardownPhases, measureCriFloor, measureRestartFloor, measureTeardownPhases, percentile } from '../../bench/cri-floor';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { CriRuntime } from '../../node-agent/runtime/cri/cri-runtime';
import { startTestRuntime, TestRuntime } from './helpers/runtime';

jest.setTimeout(240000);

test('percentile is nearest-rank', () => {
  expect(percentile([5, 1, 4, 2, 3], 50)).toBe(3);
  expect(percentile([1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 99)).toBe(10);
  expect(percentile([7], 99)).toBe(7);
  expect(percentile([], 50)).toBeNaN();
});

describe('measureCriFloor on containerd', () => {
  let rt: TestRuntime;
  let cri: CriRuntime;
  beforeAll(async () => {
    rt = await startTestRuntime('cri-floor');
    cri = new CriRuntime(rt.criSocket);
  });
  afterAll(async () => {
    cri?.close();
    await rt?.stop();
  });

  test('sequential and concurrent figures, with every pod removed afterwards', async () => {
    const r = await measureCriFloor(cri, { cgroupRoot: rt.cgroupRoot, podLogDir: rt.podLogDir, sequentialCount: 3, concurrentCount: 4 });
    expect(r.sequential.samplesMs).toHaveLength(3);
    for (const ms of r.sequential.samplesMs) expect(ms).toBeGreaterThan(5); // a real sandbox start takes more than this
    expect(r.sequential.p50Ms).toBeLessThanOrEqual(r.sequential.p99Ms);
    expect(r.concurrent.count).toBe(4);
    expect(r.concurrent.totalMs).toBeGreaterThan(5);
    expect(r.concurrent.stopMs).toBeGreaterThan(1);
    expect(r.concurrent.removeMs).toBeGreaterThan(r.concurrent.stopMs);
    expect(formatCriFloor(r)).toMatch(/p50 [\d.]+ ms, p99 [\d.]+ ms/);
    expect(await cri.listPodSandboxes()).toEqual([]);
  });

  test("in the node agent's pod shape: DNS config and bind mounts, the cached image only checked; no pod or host file left", async () => {
    const r = await measureCriFloor(cri, { cgroupRoot: rt.cgroupRoot, podLogDir: rt.podLogDir, sequentialCount: 2, concurrentCount: 2, steerShape: { clusterDns: true, tokenMount: true } });
    expect(r.sequential.samplesMs).toHaveLength(2);
    for (const ms of r.sequential.samplesMs) expect(ms).toBeGreaterThan(5);
    expect(await cri.listPodSandboxes()).toEqual([]);
    const floorPods = path.join(rt.podLogDir, '..', 'floor-pods');
    expect(fs.existsSync(floorPods) ? fs.readdirSync(floorPods) : []).toEqual([]);
  });

  test('teardown phase by phase: StopContainer, StopPodSandbox, RemovePodSandbox each timed for all pods; none left', async () => {
    const r = await measureTeardownPhases(cri, { cgroupRoot: rt.cgroupRoot, podLogDir: rt.podLogDir, count: 3, graceSeconds: 5 });
    expect(r.phases.map((p) => p.name)).toEqual(['StopContainer (grace 5 s)', 'StopPodSandbox', 'RemovePodSandbox']);
    for (const p of r.phases) expect(p.ms).toBeGreaterThan(1);
    expect(formatTeardownPhases(r)).toMatch(/teardown of 3 pods/);
    expect(await cri.listPodSandboxes()).toEqual([]);
  });

  test('restart floor: kill → exit event → new attempt serving, each round timed; the pod is removed', async () => {
    const r = await measureRestartFloor(cri, { cgroupRoot: rt.cgroupRoot, podLogDir: rt.podLogDir, count: 2 });
    expect(r.detection).toBe('events');
    expect(r.samplesMs).toHaveLength(2);
    for (const ms of r.samplesMs) expect(ms).toBeGreaterThan(5);
    expect(formatRestartFloor(r)).toMatch(/kill → serving again ×2 .* p50 [\d.]+ ms/);
    expect(await cri.listPodSandboxes()).toEqual([]);
  });
});
