// The binary loads only the module that owns the verb it runs (start-up time), and everything for help.
import { buildProgram, normalizeArgv, verbOf } from './main';

const names = async (...args: string[]) => (await buildProgram(['node', 'steer', ...args])).commands.map((c) => c.name());

describe('steer main: per-verb registration', () => {
  it('finds the verb after options', () => {
    // Global options come after the verb in kubectl's habits; a leading option's value would be taken for the verb.
    expect(verbOf(['node', 'steer', '-h'])).toBeUndefined();
    expect(verbOf(['node', 'steer', 'get', 'pods'])).toBe('get');
    expect(verbOf(['node', 'steer'])).toBeUndefined();
  });
  it('takes kubectl\'s global flags before the verb (kubectl -n ns get pods)', () => {
    const argv = (...a: string[]) => ['node', 'steer', ...a];
    expect(normalizeArgv(argv('-n', 'kube-system', 'get', 'pods'))).toEqual(argv('get', 'pods', '-n', 'kube-system'));
    expect(normalizeArgv(argv('--kubeconfig=/k', '-A', 'rollout', 'status', 'deploy/x'))).toEqual(argv('rollout', 'status', 'deploy/x', '--kubeconfig=/k', '-A'));
    expect(normalizeArgv(argv('--kubeconfig', '/k', 'exec', 'bb', '--', 'sh', '-c', 'x'))).toEqual(argv('exec', 'bb', '--kubeconfig', '/k', '--', 'sh', '-c', 'x'));
    expect(normalizeArgv(argv('-s', 'http://h:1', 'get', 'ns'))).toEqual(argv('get', 'ns', '-s', 'http://h:1'));
    expect(normalizeArgv(argv('get', 'pods', '-n', 'x'))).toEqual(argv('get', 'pods', '-n', 'x'));
    expect(normalizeArgv(argv('-h'))).toEqual(argv('-h'));
    expect(normalizeArgv(argv('-n', 'x'))).toEqual(argv('-n', 'x'));
  });
  it('a client verb registers the client verbs only; a component verb its component only', async () => {
    const client = await names('get', 'pods');
    expect(client).toEqual(expect.arrayContaining(['get', 'apply', 'label', 'api-resources']));
    expect(client).not.toContain('apiserver');
    expect(client).not.toContain('up');
    expect(await names('apiserver')).toEqual(['apiserver']);
    expect(await names('up')).toEqual(['up', 'down', 'server', 'certs', 'etcd', 'storage']);
  });
  it('help, no verb and an unknown verb register every command', async () => {
    for (const args of [[], ['help'], ['nope']]) {
      const all = await names(...args);
      expect(all).toEqual(expect.arrayContaining(['apiserver', 'scheduler', 'controllers', 'node-agent', 'runtime', 'up', 'down', 'server', 'etcd', 'storage', 'get', 'label']));
    }
  });
});
