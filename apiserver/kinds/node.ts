// The strategy of node.k8s.io/v1 RuntimeClasses (kube's pkg/registry/node/runtimeclass): cluster-scoped,
// the handler fixed once created. The RuntimeClass admission plugin (admission/runtime-class.ts) gives a
// pod its class's overhead and scheduling constraints; the node agent runs its sandbox with the handler.
import type { RuntimeClass } from 'kubernetes-types/node/v1';
import { Resources } from '../../lib/api/resources';
import { runtimeClassPrinter } from '../tables/node';
import { validateRuntimeClass } from '../validation/node';
import { defineKind, KindStrategy } from './strategy';

export const nodeKinds: KindStrategy[] = [defineKind<RuntimeClass>(Resources.runtimeclasses, { validate: validateRuntimeClass, printer: runtimeClassPrinter })];
