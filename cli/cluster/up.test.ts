// What `steer up` prints about the web console: its address, the command that gets an administrator's
// token, and (over HTTPS) the CA the browser must trust.
import { consoleLogin } from './up';

test('the console address, how to get a token, and the CA to trust over HTTPS', () => {
  expect(consoleLogin('https://127.0.0.1:6443', '/var/lib/steer/pki')).toEqual([
    'web console: https://127.0.0.1:6443/ui/',
    '  log in with a token of the ServiceAccount kube-system/console-admin (cluster-admin):',
    '    kubectl -n kube-system create token console-admin --duration=24h     (kubectl 1.24+; steer create token takes the same)',
    '  (a ServiceAccount bound to another role, e.g. view, logs in with just its rights)',
    '  the browser must trust the cluster CA /var/lib/steer/pki/ca.crt (or accept its warning)',
  ]);
  expect(consoleLogin('http://127.0.0.1:6443', '/s/pki').join('\n')).not.toContain('ca.crt');
});
