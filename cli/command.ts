// Registers the kubectl-style client verbs (apply, get, describe, delete, scale, rollout, logs,
// exec, attach, port-forward, cp, cordon/uncordon/drain, top, version, why, api-resources, label, auth can-i, …); main.ts adds `up`/`down`/`server`.
// Each verb file registers its own commands (as kubectl's NewCmdX does), with flags spelled as
// kubectl spells them so a Kubernetes user needs no new habits; this file is only their order, which
// is the order `steer --help` lists them in.
import { Command } from 'commander';
import * as apply from './verbs/apply';
import * as attach from './verbs/attach';
import * as auth from './verbs/auth';
import * as autoscale from './verbs/autoscale';
import * as cp from './verbs/cp';
import * as create from './verbs/create';
import * as deleteVerb from './verbs/delete';
import * as describe from './verbs/describe';
import * as discovery from './verbs/discovery';
import * as exec from './verbs/exec';
import * as get from './verbs/get';
import * as label from './verbs/label';
import * as logs from './verbs/logs';
import * as nodes from './verbs/nodes';
import * as patch from './verbs/patch';
import * as portForward from './verbs/port-forward';
import * as rollout from './verbs/rollout';
import * as setImage from './verbs/set-image';
import * as top from './verbs/top';
import * as version from './verbs/version';
import * as wait from './verbs/wait';
import * as why from './verbs/why';

const verbs: Array<{ register(program: Command): void }> = [
  apply, // apply
  get, // get
  describe, // describe
  deleteVerb, // delete
  rollout, // scale, rollout status|history|undo|restart
  autoscale, // autoscale
  logs, // logs
  exec, // exec
  attach, // attach
  portForward, // port-forward
  cp, // cp
  nodes, // cordon, uncordon, drain
  top, // top pods|nodes
  version, // version
  why, // why pending, explain-pending
  discovery, // api-resources, api-versions
  patch, // patch
  create, // create namespace|deployment|cronjob|job
  setImage, // set image
  wait, // wait
  label, // label, annotate
  auth, // auth can-i
];

export function register(program: Command): void {
  for (const verb of verbs) verb.register(program);
}
