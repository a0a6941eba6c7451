// Shared e2e helper: a real containerd runtime ("host") of its own for one test file, with a unique
// state dir, bridge and pod subnet, so test files of several teams can run at the same time.
//
//   const rt = await startTestRuntime('agent-e2e');
//   const cri = new CriRuntime(rt.criSocket);  ...  await rt.stop();
//
// Slots are handed out under a machine-wide flock; a slot whose owner process died is reclaimed after
// tearing down what that owner left running.
import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { ensureRuntime, podCgroupParent, RuntimeInfo, teardownRuntime } from '../../../node-agent/runtime-setup';

export const TEST_STATE_ROOT = '/var/lib/steer-test';
const SLOT_DIR = '/run/steer/test-slots';
const MAX_SLOTS = 64;

export interface TestRuntime extends RuntimeInfo {
  slot: number;
  /** cgroup_parent to give a pod with this uid. */
  cgroupParentFor(podUid: string): string;
  /** Removes the runtime's pods, stops its containerd, removes its bridge/cgroups/mounts and state dir. */
  stop(): Promise<void>;
}

interface Slot {
  slot: number;
  staleStateDir?: string;
}

/** Picks a free slot under flock; prints "N" or "N STALE_STATE_DIR" when it reclaimed a dead owner's. */
function claimSlot(stateDirFor: (slot: number) => string): Slot {
  fs.mkdirSync(SLOT_DIR, { recursive: true });
  const script = `
    for i in $(seq 1 ${MAX_SLOTS}); do
      f=${SLOT_DIR}/$i
      if [ -f $f ]; then
        read -r owner dir < $f
        kill -0 "$owner" 2>/dev/null && continue
        echo "$PPID_OWNER $STATE_PREFIX$i" > $f; echo "$i $dir"; exit 0
      fi
      echo "$PPID_OWNER $STATE_PREFIX$i" > $f; echo $i; exit 0
    done
    exit 1`;
  const prefix = stateDirFor(0).replace(/0$/, '');
  const out = execFileSync('flock', [`${SLOT_DIR}.lock`, 'bash', '-c', script], {
    env: { ...process.env, PPID_OWNER: String(process.pid), STATE_PREFIX: prefix },
    encoding: 'utf8',
  }).trim();
  const [slot, stale] = out.split(' ');
  return { slot: Number(slot), staleStateDir: stale || undefined };
}

function releaseSlot(slot: number): void {
  try {
    const f = path.join(SLOT_DIR, String(slot));
    if (fs.readFileSync(f, 'utf8').startsWith(`${process.pid} `)) fs.unlinkSync(f);
  } catch {
    // already released
  }
}

export async function startTestRuntime(name: string): Promise<TestRuntime> {
  const safe = name.replace(/[^A-Za-z0-9_-]/g, '-').slice(0, 24);
  const stateDirFor = (slot: number) => path.join(TEST_STATE_ROOT, `${safe}-${slot}`);
  const { slot, staleStateDir } = claimSlot(stateDirFor);
  try {
    if (staleStateDir) {
      await teardownRuntime(staleStateDir).catch(() => undefined);
      fs.rmSync(staleStateDir, { recursive: true, force: true });
    }
    const stateDir = stateDirFor(slot);
    const info = await ensureRuntime({ stateDir, bridge: `steert${slot}`, podSubnet: `10.210.${slot}.0/24`, nodeName: `${safe}-${slot}` });
    return {
      ...info,
      slot,
      cgroupParentFor: (uid: string) => podCgroupParent(info.cgroupRoot, uid),
      stop: async () => {
        try {
          await teardownRuntime(stateDir);
          fs.rmSync(stateDir, { recursive: true, force: true });
        } finally {
          releaseSlot(slot);
        }
      },
    };
  } catch (err) {
    releaseSlot(slot);
    throw err;
  }
}
