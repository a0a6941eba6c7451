// Registers the kubectl-style client verbs (apply, get, describe, delete, scale, rollout, logs,
// cordon/uncordon/drain, top, version, why, api-resources, label, …); main.ts adds `up`/`down`/`server`.
// Each verb's flags follow kubectl's spelling so a Kubernetes user needs no new habits.
import * as fs from 'node:fs';
import { parseDuration as parseGoDuration } from '../lib/api/duration';
import { Command } from 'commander';
import { KubeClient, KubeObject } from '../lib/client/client';
import { Resources } from '../lib/api/resources';
import { ClientFlags, clientFromFlags, namespaceOf, withAllNamespaces, withClientOptions } from './options';
import { ReportedError, action } from './errors';
import { processStreams } from './io';
import { loadManifests } from './manifests';
import { parseResourceArgs, resolveResource } from './resource-args';
import { placeObject, runApply } from './verbs/apply';
import { DeleteTarget, listTargets, parseCascade, runDelete } from './verbs/delete';
import { describeObject } from './verbs/describe';
import { runApiResources, runApiVersions } from './verbs/discovery';
import { MetadataField, runMetadataEdit } from './verbs/label';
import { runCreateDeployment, runCreateNamespace } from './verbs/create';
import { runPatch } from './verbs/patch';
import { runSetImage } from './verbs/set-image';
import { parseWaitFor, runWait } from './verbs/wait';
import { labelColumnKeys, parseOutput, runGet } from './verbs/get';
import { runLogs } from './verbs/logs';
import { runCordon, runDrain } from './verbs/nodes';
import { runRolloutHistory, runRolloutRestart, runRolloutStatus, runRolloutUndo, runScale } from './verbs/rollout';
import { runTopNodes, runTopPods } from './verbs/top';
import { runVersion } from './verbs/version';
import { runWhy } from './verbs/why';

const collect = (v: string, prev: string[]) => [...prev, v];

/** `KIND NAME` or `KIND/NAME` → one resource and name (scale, rollout, describe of one object). */
function oneObject(args: string[]): { kind: string; name: string } {
  if (args.length === 1 && args[0].includes('/')) {
    const [kind, name] = [args[0].slice(0, args[0].indexOf('/')), args[0].slice(args[0].indexOf('/') + 1)];
    return { kind, name };
  }
  if (args.length === 2) return { kind: args[0], name: args[1] };
  throw new Error('you must specify a resource as TYPE NAME or TYPE/NAME');
}

/** Reports several objects' errors as kubectl does: one `error:` line, then one line per further object. */
function failWith(errors: string[]): void {
  if (errors.length) throw new Error(errors.join('\n'));
}

/** Runs a verb's body with a client that is closed afterwards, whatever happens. */
async function withClient(o: ClientFlags, fn: (client: KubeClient) => Promise<void>): Promise<void> {
  const client = clientFromFlags(o);
  try {
    await fn(client);
  } finally {
    client.close();
  }
}

/** A duration flag as kubectl's --timeout takes it: 30s, 5m, 1h; a bare number is seconds; 0 or empty: none. */
export function parseDuration(v: string | undefined): number | undefined {
  if (v === undefined || v === '' || v === '0') return undefined;
  return parseGoDuration(v, 's');
}

function boolFlag(v: string | boolean | undefined, dflt: boolean): boolean {
  if (v === undefined) return dflt;
  if (typeof v === 'boolean') return v;
  return !['false', '0', 'no'].includes(v.toLowerCase());
}

export function register(program: Command): void {
  withClientOptions(
    program
      .command('apply')
      .description('apply a configuration to resources from files, a directory or stdin (client-side apply, like kubectl)')
      .requiredOption('-f, --filename <path>', 'file, directory or - for stdin (repeatable)', collect, [] as string[])
      .option('-R, --recursive', 'process directories recursively'),
  ).action(
    action(async (o: ClientFlags & { filename: string[]; recursive?: boolean }) => {
      const client = clientFromFlags(o);
      const manifests = loadManifests(o.filename, !!o.recursive);
      const ok = await runApply(client, manifests, namespaceOf(client, o), !!o.namespace, processStreams);
      client.close();
      if (!ok) throw new ReportedError();
    }),
  );

  withAllNamespaces(
    withClientOptions(
      program
        .command('get')
        .description('display one or many resources (kubectl get)')
        .argument('<resources...>', 'TYPE [NAME...] | TYPE/NAME... | TYPE1,TYPE2 | all')
        .option('-o, --output <format>', 'wide|yaml|json|name|jsonpath=TEMPLATE|jsonpath-file=FILE|custom-columns=SPEC|custom-columns-file=FILE')
        .option('-l, --selector <selector>', 'label selector, e.g. app=nginx')
        .option('--field-selector <selector>', 'field selector, e.g. status.phase=Running')
        .option('-w, --watch', 'after listing, watch for changes')
        .option('--watch-only', 'watch for changes without listing first')
        .option('--no-headers', 'do not print column headers')
        .option('--show-labels', 'show all labels as the last column')
        .option('-L, --label-columns <keys>', 'a column per label key, e.g. -L app,tier (repeatable)', collect, [] as string[])
        .option('--sort-by <jsonpath>', 'sort by a JSONPath expression, e.g. .metadata.name'),
    ),
  ).action(
    action(async (args: string[], o: ClientFlags & { output?: string; selector?: string; fieldSelector?: string; watch?: boolean; watchOnly?: boolean; headers?: boolean; showLabels?: boolean; labelColumns: string[]; sortBy?: string }) => {
      // Flags are checked before anything is asked of the server.
      const output = parseOutput(o.output);
      const selections = parseResourceArgs(args);
      const client = clientFromFlags(o);
      const ac = new AbortController();
      const onSigint = () => ac.abort();
      process.once('SIGINT', onSigint);
      try {
        const ok = await runGet(
          client,
          selections,
          {
            namespace: namespaceOf(client, o),
            allNamespaces: o.allNamespaces,
            ...output,
            selector: o.selector,
            fieldSelector: o.fieldSelector,
            watch: o.watch,
            watchOnly: o.watchOnly,
            noHeaders: o.headers === false,
            showLabels: o.showLabels,
            labelColumns: labelColumnKeys(o.labelColumns),
            sortBy: o.sortBy,
            signal: ac.signal,
          },
          processStreams,
        );
        if (!ok) throw new ReportedError();
      } finally {
        process.removeListener('SIGINT', onSigint);
        client.close();
      }
    }),
  );

  withAllNamespaces(
    withClientOptions(
      program
        .command('describe')
        .description('show details of a resource and its events')
        .argument('<resources...>', 'TYPE [NAME...] | TYPE/NAME')
        .option('-l, --selector <selector>', 'label selector'),
    ),
  ).action(
    action(async (args: string[], o: ClientFlags & { selector?: string }) => {
      const client = clientFromFlags(o);
      const ns = namespaceOf(client, o);
      const blocks: string[] = [];
      for (const sel of parseResourceArgs(args)) {
        const r = sel.resource;
        const scope = r.namespaced && !o.allNamespaces ? ns : undefined;
        const objects: KubeObject[] = sel.names.length
          ? await Promise.all(sel.names.map((n) => client.get<KubeObject>(r, scope, n)))
          : (await client.list<KubeObject>(r, { namespace: scope, labelSelector: o.selector })).items;
        for (const obj of objects) blocks.push(await describeObject(client, r, obj));
      }
      processStreams.out(blocks.join('\n\n'));
      client.close();
    }),
  );

  withClientOptions(
    program
      .command('delete')
      .description('delete resources by file, by type and name, or by type with --all / -l')
      .argument('[resources...]', 'TYPE NAME... | TYPE/NAME... | TYPE --all')
      .option('-f, --filename <path>', 'file, directory or - for stdin (repeatable)', collect, [] as string[])
      .option('-R, --recursive', 'process directories recursively')
      .option('--all', 'delete all resources of the type in the namespace')
      .option('-l, --selector <selector>', 'label selector')
      .option('--cascade [policy]', 'background|foreground|orphan (true=background, false=orphan)', 'background')
      .option('--grace-period <seconds>', 'seconds given to the pod to terminate gracefully')
      .option('--wait [bool]', 'wait for the objects to be gone before returning', 'true')
      .option('--ignore-not-found', 'treat "not found" as success')
      .option('--timeout <duration>', 'how long to wait for the deletion, e.g. 60s'),
  ).action(
    action(async (args: string[], o: ClientFlags & { filename: string[]; recursive?: boolean; all?: boolean; selector?: string; cascade?: string | boolean; gracePeriod?: string; wait?: string | boolean; ignoreNotFound?: boolean; timeout?: string }) => {
      const client = clientFromFlags(o);
      const ns = namespaceOf(client, o);
      const targets: DeleteTarget[] = [];
      if (o.filename.length) {
        for (const m of loadManifests(o.filename, !!o.recursive)) {
          const { resource, object } = placeObject(m, ns, !!o.namespace);
          const md = object.metadata as { name: string; namespace?: string };
          targets.push({ resource, namespace: md.namespace, name: md.name });
        }
      } else {
        for (const sel of parseResourceArgs(args)) {
          if (sel.names.length) targets.push(...sel.names.map((name) => ({ resource: sel.resource, namespace: ns, name })));
          else if (o.all || o.selector) targets.push(...(await listTargets(client, sel.resource, ns, o.selector)));
          else throw new Error('resource(s) were provided, but no name was specified');
        }
        if (targets.length === 0) processStreams.out('No resources found\n');
      }
      const ok = await runDelete(
        client,
        targets,
        {
          propagation: parseCascade(o.cascade === true ? 'background' : (o.cascade as string | undefined)),
          wait: boolFlag(o.wait, true),
          gracePeriodSeconds: o.gracePeriod !== undefined && Number(o.gracePeriod) >= 0 ? Number(o.gracePeriod) : undefined,
          ignoreNotFound: o.ignoreNotFound,
          timeoutMs: parseDuration(o.timeout),
        },
        processStreams,
      );
      client.close();
      if (!ok) throw new ReportedError();
    }),
  );

  withClientOptions(
    program
      .command('scale')
      .description('set a new size for a deployment or replica set')
      .argument('<resource...>', 'TYPE NAME | TYPE/NAME')
      .requiredOption('--replicas <n>', 'the new desired number of replicas')
      .option('--current-replicas <n>', 'precondition: only scale if the current size is this'),
  ).action(
    action(async (args: string[], o: ClientFlags & { replicas: string; currentReplicas?: string }) => {
      const client = clientFromFlags(o);
      const { kind, name } = oneObject(args);
      const current = o.currentReplicas !== undefined ? Number(o.currentReplicas) : undefined;
      await runScale(client, resolveResource(kind), namespaceOf(client, o), name, Number(o.replicas), current, processStreams);
      client.close();
    }),
  );

  const rollout = program.command('rollout').description('manage the rollout of a deployment or daemon set');
  withClientOptions(
    rollout
      .command('status')
      .argument('<resource...>', 'TYPE NAME | TYPE/NAME')
      .option('--timeout <duration>', 'give up after this long, e.g. 5m (default: never)')
      .option('-w, --watch [bool]', 'watch the status until the rollout finishes', 'true')
      .description('show the status of a rollout, waiting until it finishes'),
  ).action(
    action(async (args: string[], o: ClientFlags & { timeout?: string; watch?: string | boolean }) => {
      const client = clientFromFlags(o);
      const { kind, name } = oneObject(args);
      await runRolloutStatus(client, resolveResource(kind), namespaceOf(client, o), name, { timeoutMs: parseDuration(o.timeout), watch: boolFlag(o.watch, true) }, processStreams);
      client.close();
    }),
  );
  withClientOptions(rollout.command('history').argument('<resource...>').description('list the revisions of a deployment')).action(
    action(async (args: string[], o: ClientFlags) => {
      const client = clientFromFlags(o);
      const { name } = oneObject(args);
      await runRolloutHistory(client, namespaceOf(client, o), name, processStreams);
      client.close();
    }),
  );
  withClientOptions(
    rollout.command('undo').argument('<resource...>').option('--to-revision <n>', 'the revision to roll back to (default: the previous)', '0').description('roll a deployment back to an earlier revision'),
  ).action(
    action(async (args: string[], o: ClientFlags & { toRevision: string }) => {
      const client = clientFromFlags(o);
      const { name } = oneObject(args);
      await runRolloutUndo(client, namespaceOf(client, o), name, Number(o.toRevision), processStreams);
      client.close();
    }),
  );
  withClientOptions(rollout.command('restart').argument('<resource...>').description('restart every pod of a deployment or daemon set with a rolling update')).action(
    action(async (args: string[], o: ClientFlags) => {
      const client = clientFromFlags(o);
      const { kind, name } = oneObject(args);
      await runRolloutRestart(client, resolveResource(kind), namespaceOf(client, o), name, processStreams);
      client.close();
    }),
  );

  withClientOptions(
    program
      .command('logs')
      .description("print a container's log")
      .argument('<pod>', 'POD | TYPE/NAME (e.g. deploy/nginx: its first pod)')
      .option('-c, --container <name>', 'the container (default: the only one)')
      .option('-f, --follow', 'stream the log as it grows')
      .option('--tail <n>', 'lines from the end to show (-1: all)', '-1')
      .option('-p, --previous', "the previous (exited) instance's log")
      .option('--timestamps', 'prefix each line with its time')
      .option('--since <duration>', 'only lines newer than this, e.g. 5m'),
  ).action(
    action(async (pod: string, o: ClientFlags & { container?: string; follow?: boolean; tail: string; previous?: boolean; timestamps?: boolean; since?: string }) => {
      const client = clientFromFlags(o);
      const ac = new AbortController();
      process.once('SIGINT', () => ac.abort());
      const since = parseDuration(o.since);
      await runLogs(
        client,
        namespaceOf(client, o),
        pod,
        { container: o.container, follow: o.follow, tail: Number(o.tail), previous: o.previous, timestamps: o.timestamps, sinceSeconds: since ? Math.ceil(since / 1000) : undefined, signal: ac.signal },
        processStreams,
      );
      client.close();
    }),
  );

  for (const [verb, unschedulable] of [['cordon', true], ['uncordon', false]] as const) {
    withClientOptions(program.command(verb).argument('<node>').description(unschedulable ? 'mark a node unschedulable' : 'mark a node schedulable')).action(
      action(async (node: string, o: ClientFlags) => {
        const client = clientFromFlags(o);
        await runCordon(client, node, unschedulable, processStreams);
        client.close();
      }),
    );
  }
  withClientOptions(
    program
      .command('drain')
      .argument('<node>')
      .description('cordon a node and evict its pods')
      .option('--ignore-daemonsets', 'leave DaemonSet-managed pods in place')
      .option('--force', 'also delete pods no controller manages')
      .option('--delete-emptydir-data', 'also delete pods using emptyDir volumes')
      .option('--grace-period <seconds>', 'seconds given to each pod to terminate')
      .option('--timeout <duration>', 'how long to wait, e.g. 2m'),
  ).action(
    action(async (node: string, o: ClientFlags & { ignoreDaemonsets?: boolean; force?: boolean; deleteEmptydirData?: boolean; gracePeriod?: string; timeout?: string }) => {
      const client = clientFromFlags(o);
      await runDrain(
        client,
        node,
        { ignoreDaemonSets: o.ignoreDaemonsets, force: o.force, deleteEmptyDirData: o.deleteEmptydirData, gracePeriodSeconds: o.gracePeriod ? Number(o.gracePeriod) : undefined, timeoutMs: parseDuration(o.timeout) },
        processStreams,
      );
      client.close();
    }),
  );

  const top = program.command('top').description('CPU and memory use of pods or nodes');
  withAllNamespaces(withClientOptions(top.command('pods').alias('pod').alias('po').option('-l, --selector <selector>', 'label selector'))).action(
    action(async (o: ClientFlags & { selector?: string }) => {
      const client = clientFromFlags(o);
      await runTopPods(client, o.allNamespaces ? undefined : namespaceOf(client, o), o.selector, processStreams);
      client.close();
    }),
  );
  withClientOptions(top.command('nodes').alias('node').alias('no')).action(
    action(async (o: ClientFlags) => {
      const client = clientFromFlags(o);
      await runTopNodes(client, processStreams);
      client.close();
    }),
  );

  withClientOptions(program.command('version').description('print the client and server versions').option('--client', 'the client version only')).action(
    action(async (o: ClientFlags & { client?: boolean }) => {
      await runVersion(o.client ? undefined : () => clientFromFlags(o), processStreams);
    }),
  );

  const why = program.command('why').description('explain why something is not as expected');
  const explainPending = action(async (pod: string, o: ClientFlags) => {
    const client = clientFromFlags(o);
    const [kind, name] = pod.includes('/') ? [pod.slice(0, pod.indexOf('/')), pod.slice(pod.indexOf('/') + 1)] : ['pod', pod];
    if (resolveResource(kind) !== Resources.pods) throw new Error('why pending explains pods: steer why pending POD');
    await runWhy(client, namespaceOf(client, o), name, processStreams);
    client.close();
  });
  withClientOptions(why.command('pending').argument('<pod>').description("explain in one screen why a pod isn't running: scheduling, image pulls, back-off, probes")).action(explainPending);
  withClientOptions(program.command('explain-pending').argument('<pod>').description('same as `steer why pending POD`')).action(explainPending);

  withClientOptions(
    program
      .command('api-resources')
      .description('print the resource types the server supports')
      .option('-o, --output <format>', 'wide|name')
      .option('--no-headers', 'do not print column headers')
      .option('--namespaced [bool]', 'true: only namespaced types; false: only cluster-scoped ones')
      .option('--api-group <group>', 'only this API group ("" for the core group)')
      .option('--verbs <verbs>', 'only types supporting these verbs, e.g. list,get', collect, [] as string[])
      .option('--sort-by <field>', 'name or kind (default: API group)'),
  ).action(
    action(async (o: ClientFlags & { output?: string; headers?: boolean; namespaced?: string | boolean; apiGroup?: string; verbs: string[]; sortBy?: string }) => {
      const client = clientFromFlags(o);
      try {
        await runApiResources(
          client,
          {
            output: o.output,
            noHeaders: o.headers === false,
            namespaced: o.namespaced === undefined ? undefined : boolFlag(o.namespaced, true),
            apiGroup: o.apiGroup,
            verbs: o.verbs.flatMap((v) => v.split(',')).filter(Boolean),
            sortBy: o.sortBy,
          },
          processStreams,
        );
      } finally {
        client.close();
      }
    }),
  );
  withClientOptions(program.command('api-versions').description('print the API versions the server supports, as group/version')).action(
    action(async (o: ClientFlags) => {
      const client = clientFromFlags(o);
      try {
        await runApiVersions(client, processStreams);
      } finally {
        client.close();
      }
    }),
  );

  withClientOptions(
    program
      .command('patch')
      .description('update fields of a resource with a strategic merge, JSON merge or JSON patch')
      .argument('<resource...>', 'TYPE NAME | TYPE/NAME')
      .option('-p, --patch <patch>', 'the patch, JSON or YAML')
      .option('--patch-file <file>', 'a file holding the patch')
      .option('--type <type>', 'strategic|merge|json', 'strategic'),
  ).action(
    action(async (args: string[], o: ClientFlags & { patch?: string; patchFile?: string; type: string }) => {
      const patch = o.patchFile !== undefined ? fs.readFileSync(o.patchFile, 'utf8') : o.patch;
      await withClient(o, (client) => runPatch(client, args, { namespace: namespaceOf(client, o), patch, type: o.type }, processStreams));
    }),
  );

  const create = program.command('create').description('create a resource from a generator (namespace, deployment)');
  withClientOptions(create.command('namespace').alias('ns').argument('[name...]').description('create a namespace')).action(
    action(async (names: string[], o: ClientFlags) => {
      await withClient(o, (client) => runCreateNamespace(client, names, processStreams));
    }),
  );
  withClientOptions(
    create
      .command('deployment')
      .alias('deploy')
      .argument('[name...]')
      .description('create a deployment running the given images')
      .option('--image <image>', 'a container image (repeatable: one container each)', collect, [] as string[])
      .option('-r, --replicas <n>', 'number of replicas', '1'),
  ).action(
    action(async (names: string[], o: ClientFlags & { image: string[]; replicas: string }) => {
      await withClient(o, (client) => runCreateDeployment(client, names, { namespace: namespaceOf(client, o), images: o.image, replicas: o.replicas }, processStreams));
    }),
  );

  const set = program.command('set').description('set specific features on objects');
  withClientOptions(
    set
      .command('image')
      .argument('<args...>', 'TYPE/NAME… (or TYPE with --all / -l), then CONTAINER=IMAGE… (* for every container)')
      .description("update the image of a pod template's (or pod's) containers")
      .option('--all', 'every object of the type in the namespace')
      .option('-l, --selector <selector>', 'objects matching this label selector'),
  ).action(
    action(async (args: string[], o: ClientFlags & { all?: boolean; selector?: string }) => {
      await withClient(o, async (client) => failWith(await runSetImage(client, args, { namespace: namespaceOf(client, o), all: o.all, selector: o.selector }, processStreams)));
    }),
  );

  withClientOptions(
    program
      .command('wait')
      .description('wait until resources meet a condition or are deleted')
      .argument('<resources...>', 'TYPE NAME… | TYPE/NAME… | TYPE with --all / -l')
      .option('--for <condition>', 'delete, or condition=TYPE[=VALUE] (VALUE defaults to true)')
      .option('--timeout <duration>', 'how long to wait for each object (0: check once)', '30s')
      .option('--all', 'every object of the type in the namespace')
      .option('-l, --selector <selector>', 'objects matching this label selector'),
  ).action(
    action(async (args: string[], o: ClientFlags & { for?: string; timeout: string; all?: boolean; selector?: string }) => {
      const waitFor = parseWaitFor(o.for);
      const timeoutMs = /^0+(\.0*)?(ms|s|m|h)?$/.test(o.timeout.trim()) ? 0 : (parseDuration(o.timeout) ?? 30_000);
      await withClient(o, async (client) => failWith(await runWait(client, args, { namespace: namespaceOf(client, o), for: waitFor, timeoutMs, all: o.all, selector: o.selector }, processStreams)));
    }),
  );

  for (const [verb, field] of [['label', 'labels'], ['annotate', 'annotations']] as Array<[string, MetadataField]>) {
    const what = field === 'labels' ? 'label' : 'annotation';
    withAllNamespaces(
      withClientOptions(
        program
          .command(verb)
          .description(`update the ${field} of resources: KEY=VALUE sets, KEY- removes`)
          .argument('<args...>', `TYPE NAME… | TYPE/NAME… | TYPE (with --all or -l), then KEY=VALUE… and KEY-…`)
          .option('--overwrite', `allow replacing a ${what} that already has a value`)
          .option('--all', 'every object of the type in the namespace')
          .option('-l, --selector <selector>', 'objects matching this label selector'),
      ),
    ).action(
      action(async (args: string[], o: ClientFlags & { overwrite?: boolean; all?: boolean; selector?: string }) => {
        const client = clientFromFlags(o);
        try {
          await runMetadataEdit(client, field, args, { namespace: namespaceOf(client, o), allNamespaces: o.allNamespaces, all: o.all, selector: o.selector, overwrite: o.overwrite }, processStreams);
        } finally {
          client.close();
        }
      }),
    );
  }
}
