// steer imports two files from inside @kubernetes/client-node's dist/ instead of its index, to keep
// ~40-55 MiB of generated API clients out of every process: apiserver/schema.ts reads the models
// (dist/gen/models/all.js, each class with a static attributeTypeMap) and lib/client/client.ts
// requires the KubeConfig class alone (dist/config.js). Neither path is public API, so a client-node
// upgrade may move them without a type error anywhere else: this test is where that shows, loudly.
import * as fs from 'node:fs';
import * as path from 'node:path';

const pkg = '@kubernetes/client-node';
const modelsPath = `${pkg}/dist/gen/models/all.js`;
const configPath = `${pkg}/dist/config.js`;

interface Attribute {
  name: string;
  baseName: string;
  type: string;
  format: string;
}

function installedVersion(): string {
  // package.json itself may be unexported; read it from the resolved entry's directory instead.
  let dir = path.dirname(require.resolve(pkg));
  while (!fs.existsSync(path.join(dir, 'package.json'))) dir = path.dirname(dir);
  return (JSON.parse(fs.readFileSync(path.join(dir, 'package.json'), 'utf8')) as { version: string }).version;
}

const moved = (what: string) =>
  `@kubernetes/client-node ${installedVersion()} no longer has ${what}: update the import (and this test) to where it moved, or fall back to the package index`;

describe('@kubernetes/client-node internals steer imports', () => {
  it(`resolves ${modelsPath} and ${configPath}`, () => {
    for (const p of [modelsPath, configPath]) {
      let resolved: string | undefined;
      try {
        resolved = require.resolve(p);
      } catch {
        resolved = undefined;
      }
      if (!resolved) throw new Error(moved(p));
    }
  });

  it('the models module exports the model classes with their attributeTypeMap (apiserver/schema.ts)', async () => {
    const models = (await import('@kubernetes/client-node/dist/gen/models/all.js')) as unknown as Record<string, { attributeTypeMap?: Attribute[] } | undefined>;
    for (const name of ['V1Pod', 'V1PodSpec', 'V1Deployment', 'CoreV1Event', 'V1ObjectMeta']) {
      const attrs = models[name]?.attributeTypeMap;
      if (!Array.isArray(attrs)) throw new Error(moved(`${name}.attributeTypeMap in ${modelsPath}`));
    }
    const spec = models.V1Pod?.attributeTypeMap?.find((a) => a.baseName === 'spec');
    expect(spec).toEqual(expect.objectContaining({ name: 'spec', baseName: 'spec', type: 'V1PodSpec', format: '' }));
    const replicas = models.V1DeploymentSpec?.attributeTypeMap?.find((a) => a.baseName === 'replicas');
    expect(replicas).toEqual(expect.objectContaining({ type: 'number', format: 'int32' }));
  });

  it('the config module exports the KubeConfig class with what lib/client/client.ts calls', async () => {
    const { KubeConfig } = await import('@kubernetes/client-node/dist/config.js');
    if (typeof KubeConfig !== 'function') throw new Error(moved(`the KubeConfig class in ${configPath}`));
    const kc = new KubeConfig();
    for (const method of ['loadFromFile', 'loadFromClusterAndUser', 'loadFromDefault', 'setCurrentContext', 'getCurrentCluster', 'getCurrentContext', 'getContextObject', 'applyToHTTPSOptions'] as const) {
      if (typeof kc[method] !== 'function') throw new Error(moved(`KubeConfig.${method} in ${configPath}`));
    }
    // The path KubeClient.load takes for a bare server URL, through to the TLS options it applies.
    kc.loadFromClusterAndUser({ name: 'steer', server: 'https://127.0.0.1:6443', skipTLSVerify: true }, { name: 'steer' });
    expect(kc.getCurrentCluster()?.server).toBe('https://127.0.0.1:6443');
    const opts: { rejectUnauthorized?: boolean } = {};
    await kc.applyToHTTPSOptions(opts);
    expect(opts.rejectUnauthorized).toBe(false);
  });
});
