// The iptables commands steer's node networking runs (the service proxy, the network policy enforcer,
// the cluster DNS redirect, pod routes' masquerade exception), in the host's network namespace or one
// reached through a command prefix (tests: `ip netns exec NAME`).
import { spawn } from 'node:child_process';
import type { HookRule } from './proxy-rules';

export interface CommandResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs a command (after the prefix, e.g. `ip netns exec NAME`) with optional stdin. */
export function runCommand(prefix: string[], args: string[], input?: string): Promise<CommandResult> {
  const argv = [...prefix, ...args];
  return new Promise((resolve) => {
    const child = spawn(argv[0], argv.slice(1), { stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString('utf8')));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString('utf8')));
    child.on('error', (err) => resolve({ code: 127, stdout, stderr: `${argv[0]}: ${err.message}` }));
    child.on('close', (code) => resolve({ code: code ?? 1, stdout, stderr }));
    child.stdin.on('error', () => undefined); // the command may exit before reading its input
    child.stdin.end(input ?? '');
  });
}

export class IptablesError extends Error {}

/** The iptables commands of one network namespace (the host's, or one reached through a prefix). */
export class Iptables {
  constructor(private readonly prefix: string[] = []) {}

  async save(table: 'nat' | 'filter'): Promise<string> {
    const r = await runCommand(this.prefix, ['iptables-save', '-t', table]);
    if (r.code !== 0) throw new IptablesError(`iptables-save -t ${table} failed: ${r.stderr.trim()}`);
    return r.stdout;
  }

  async restore(input: string): Promise<void> {
    const r = await runCommand(this.prefix, ['iptables-restore', '--noflush', '-w', '5'], input);
    if (r.code !== 0) throw new IptablesError(`iptables-restore failed: ${r.stderr.trim()}`);
  }

  /** A chain's rules as `iptables -S` prints them (`-A CHAIN …`), in order. */
  async listRules(table: 'nat' | 'filter', chain: string): Promise<string[]> {
    const r = await runCommand(this.prefix, ['iptables', '-w', '5', '-t', table, '-S', chain]);
    if (r.code !== 0) throw new IptablesError(`iptables -t ${table} -S ${chain} failed: ${r.stderr.trim()}`);
    return r.stdout.split('\n').filter((l) => l.startsWith('-A '));
  }

  /** Is the rule there? */
  async has(h: HookRule): Promise<boolean> {
    const check = await runCommand(this.prefix, ['iptables', '-w', '5', '-t', h.table, '-C', h.chain, ...h.args]);
    return check.code === 0;
  }

  /** Inserts the rule at the top of its chain unless it is there already. */
  async ensure(h: HookRule): Promise<void> {
    if (await this.has(h)) return;
    const r = await runCommand(this.prefix, ['iptables', '-w', '5', '-t', h.table, '-I', h.chain, '1', ...h.args]);
    if (r.code !== 0) throw new IptablesError(`iptables -t ${h.table} -I ${h.chain} failed: ${r.stderr.trim()}`);
  }

  /** Deletes every copy of the rule. */
  async remove(h: HookRule): Promise<void> {
    for (let i = 0; i < 10; i++) {
      const r = await runCommand(this.prefix, ['iptables', '-w', '5', '-t', h.table, '-D', h.chain, ...h.args]);
      if (r.code !== 0) return;
    }
  }

  async sysctl(key: string, value?: string): Promise<string> {
    const r = await runCommand(this.prefix, value === undefined ? ['sysctl', '-n', key] : ['sysctl', '-w', `${key}=${value}`]);
    if (r.code !== 0) throw new IptablesError(`sysctl ${key} failed: ${r.stderr.trim()}`);
    return r.stdout.trim();
  }
}
