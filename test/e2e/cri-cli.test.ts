// `steer runtime setup|teardown` as registered on the CLI (node-agent/runtime-setup/command.ts),
// driven in-process through commander with a state dir, bridge and subnet of its own.
import { execFileSync } from 'child_process';
import * as fs from 'fs';
import { Command } from 'commander';
import { register } from '../../node-agent/runtime-setup/command';
import { RuntimeInfo } from '../../node-agent/runtime-setup';
import { CriRuntime } from '../../node-agent/runtime/cri/cri-runtime';

jest.setTimeout(180000);

const STATE_DIR = `/var/lib/steer-test/cli-${process.pid}`;
const BRIDGE = `stcli${process.pid % 100000}`;
const SUBNET = `10.207.${process.pid % 250}.0/24`;

async function steer(...args: string[]): Promise<string> {
  const program = new Command('steer').exitOverride();
  register(program);
  let out = '';
  const spy = jest.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
    out += chunk.toString();
    return true;
  });
  try {
    await program.parseAsync(['node', 'steer', ...args]);
  } finally {
    spy.mockRestore();
  }
  return out;
}

afterAll(() => {
  // in case a test failed half-way: the script is idempotent
  execFileSync('bash', [`${__dirname}/../../node-agent/runtime-setup/teardown.sh`], { env: { ...process.env, RT: STATE_DIR }, stdio: 'ignore' });
  fs.rmSync(STATE_DIR, { recursive: true, force: true });
});

test('steer runtime setup prints the runtime; teardown stops it', async () => {
  const info = JSON.parse(await steer('runtime', 'setup', '--state-dir', STATE_DIR, '--bridge', BRIDGE, '--pod-subnet', SUBNET, '--node-name', 'cli-node')) as RuntimeInfo;
  expect(info).toMatchObject({ stateDir: STATE_DIR, registry: '127.0.0.1:5000', bridge: BRIDGE, podSubnet: SUBNET, cgroupRoot: `/${BRIDGE}-pods` });
  expect(info.criSocket).toBe(`${STATE_DIR}/containerd/containerd.sock`);
  const cri = new CriRuntime(info.criSocket);
  try {
    expect((await cri.version()).runtimeName).toBe('containerd');
  } finally {
    cri.close();
  }
  expect(fs.readFileSync(`${STATE_DIR}/runtime.env`, 'utf8')).toContain('NODE_NAME=cli-node');

  await steer('runtime', 'teardown', '--state-dir', STATE_DIR);
  expect(() => process.kill(info.pids.containerd, 0)).toThrow();
  expect(fs.existsSync(info.criSocket)).toBe(false);
});

test('steer runtime setup refuses a bridge name longer than Linux allows', async () => {
  await expect(steer('runtime', 'setup', '--state-dir', STATE_DIR, '--bridge', 'a-very-long-bridge-name', '--pod-subnet', SUBNET)).rejects.toThrow(/longer than 15/);
});
