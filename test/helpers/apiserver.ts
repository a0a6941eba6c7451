// Starts an in-memory apiserver on a free loopback port for a test, with a KubeClient, a client-node
// KubeConfig and a kubeconfig file pointing at it (with a token, or a CA and client certificate, when given).
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { KubeConfig } from '@kubernetes/client-node';
import { ApiServerOptions, RunningApiServer, startApiServer } from '../../apiserver';
import { KubeClient } from '../../lib/client/client';
import { KubeconfigOptions, writeKubeconfig } from '../../lib/client/kubeconfig';

export interface TestApiServer {
  url: string;
  client: KubeClient;
  kubeConfig: KubeConfig;
  kubeconfigPath: string;
  server: RunningApiServer;
  stop(): Promise<void>;
}

/** The apiserver's options, and the credentials its kubeconfig (and so its client) carries. */
export type TestApiServerOptions = Partial<ApiServerOptions> & Pick<KubeconfigOptions, 'token' | 'ca' | 'clientCert' | 'clientKey'>;

export async function startTestApiServer(opts: TestApiServerOptions = {}): Promise<TestApiServer> {
  const { token, ca, clientCert, clientKey, ...serverOpts } = opts;
  const server = await startApiServer({ host: '127.0.0.1', port: 0, ...serverOpts });
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'steer-test-kube-'));
  const kubeconfigPath = path.join(dir, 'kubeconfig');
  writeKubeconfig(kubeconfigPath, { server: server.url, token, ca, clientCert, clientKey });
  const kubeConfig = new KubeConfig();
  kubeConfig.loadFromFile(kubeconfigPath);
  const client = new KubeClient(kubeConfig);
  return {
    url: server.url,
    client,
    kubeConfig,
    kubeconfigPath,
    server,
    async stop() {
      client.close();
      await server.close();
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}
