// Flags every client verb shares (kubectl's global flags), and turning them into a KubeClient that is
// closed when the verb is done, whatever happens.
import { Command, Option } from 'commander';
import { KubeClient } from '../lib/client/client';

export interface ClientFlags {
  kubeconfig?: string;
  context?: string;
  server?: string;
  namespace?: string;
  allNamespaces?: boolean;
}

/** Adds --kubeconfig, --context, -s/--server, -n/--namespace to a verb (kubectl accepts them on every verb). */
export function withClientOptions(cmd: Command): Command {
  return cmd
    .option('--kubeconfig <file>', 'path to the kubeconfig file (default $KUBECONFIG or ~/.kube/config)')
    .option('--context <name>', 'the kubeconfig context to use')
    .option('-s, --server <urls>', 'the address of the API server (several comma-separated: the next is used when one cannot be reached)')
    .option('-n, --namespace <ns>', 'the namespace for this request');
}

export function withAllNamespaces(cmd: Command): Command {
  return cmd.addOption(new Option('-A, --all-namespaces', 'list across all namespaces'));
}

function clientFromFlags(flags: ClientFlags): KubeClient {
  return KubeClient.load({
    kubeconfig: flags.kubeconfig,
    context: flags.context,
    server: flags.server,
    namespace: flags.namespace,
  });
}

/** The namespace a verb works in: -n, else the context's namespace, else default. */
export function namespaceOf(client: KubeClient, flags: ClientFlags): string {
  return flags.namespace || client.defaultNamespace;
}

/** Runs a verb's body with a client made from its flags, closed afterwards whatever happens. */
export async function withClient<T>(flags: ClientFlags, fn: (client: KubeClient) => Promise<T>): Promise<T> {
  const client = clientFromFlags(flags);
  try {
    return await fn(client);
  } finally {
    client.close();
  }
}
