import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as yaml from 'js-yaml';
import { etcdApiserverNodeFlags } from './node-flags';

interface ComposeFile {
  services: Record<string, { entrypoint?: string[]; command?: string[] }>;
}

describe('the V8 flags of an apiserver on etcd', () => {
  it('are the ones docker-compose.ha.yml runs its apiservers with (what bench/etcd.ts measures)', () => {
    const compose = yaml.load(fs.readFileSync(path.join(__dirname, '..', '..', '..', 'docker-compose.ha.yml'), 'utf8')) as ComposeFile;
    const apiservers = Object.entries(compose.services).filter(([, s]) => s.command?.[0] === 'apiserver');
    expect(apiservers.map(([name]) => name).sort()).toEqual(['apiserver-1', 'apiserver-2']);
    for (const [, s] of apiservers) {
      expect(s.command).toContain('--storage=etcd');
      expect(s.entrypoint).toEqual(['node', ...etcdApiserverNodeFlags, '/opt/steer/bin/steer.js']);
    }
  });

  it('are V8 flags this node accepts', () => {
    const r = spawnSync(process.execPath, [...etcdApiserverNodeFlags, '-e', "process.stdout.write(String(require('v8').getHeapSpaceStatistics().find((s) => s.space_name === 'new_space').space_size))"], { encoding: 'utf8' });
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    // --min-semi-space-size=16 took effect: the young generation starts at 16 MiB, not V8's 1 MiB.
    expect(Number(r.stdout)).toBeGreaterThanOrEqual(16 * 1024 * 1024);
  });
});
