/**
 * V8 flags of an apiserver on etcd (`steer apiserver --storage etcd`, as docker-compose.ha.yml runs it,
 * and as bench/etcd.ts measures it). Such an apiserver is part of an HA control plane that serves writes
 * at a rate, not the one-node cluster `steer up`'s memory-saving flags are for (cli/cluster/up.ts).
 * With V8's defaults it reached its first old-generation limit at about 44 MiB while serving 500
 * writes/s and paused 12–40 ms in mark-compact: those pauses made its p99. So:
 *   --initial-old-space-size=64: the old generation starts with a 64 MiB limit instead of one V8 shrinks
 *     to what survived the first scavenges, so a replica growing by each write does not run into
 *     mark-compacts while it is small;
 *   --min-semi-space-size=16 --max-semi-space-size=32: a young generation that does not start at 1 MiB
 *     and may grow past V8's 16 MiB: fewer scavenges, and the objects of requests in flight die young
 *     instead of being promoted (with many Txns in flight, Node's HTTP/2 streams and their buffers).
 * The figures are in README.md's bench/etcd.ts row. Node does not take the first two in NODE_OPTIONS: they
 * go on node's command line (docker-compose.ha.yml's apiserver entrypoint).
 */
export const etcdApiserverNodeFlags: readonly string[] = ['--initial-old-space-size=64', '--min-semi-space-size=16', '--max-semi-space-size=32'];
