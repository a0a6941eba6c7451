// The compiled apiserver reads the Kubernetes schema from @kubernetes/client-node's generated models
// (apiserver/schema.ts); this checks, in a Node process of its own, that they load outside jest.
import { execFileSync } from 'node:child_process';

describe('outside jest', () => {
  // Jest transpiles client-node's ES modules; the compiled server loads them with Node's own require.
  // The schema must be there too, or pruning and type checks would silently do nothing in production.
  it('Node itself can load the models with their attributeTypeMap', () => {
    const out = execFileSync(
      process.execPath,
      ['-e', "const k = require('@kubernetes/client-node'); process.stdout.write(String(k.V1PodSpec.attributeTypeMap.length) + ' ' + String(k.CoreV1Event.attributeTypeMap.length))"],
      { cwd: __dirname, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] },
    );
    const [podSpecFields, eventFields] = out.split(' ').map(Number);
    expect(podSpecFields).toBeGreaterThan(30);
    expect(eventFields).toBeGreaterThan(10);
  });
});
