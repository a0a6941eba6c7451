// The Priority admission plugin (kube's plugin/pkg/admission/priority): a new pod's priorityClassName
// becomes its spec.priority and spec.preemptionPolicy (the global default class, or 0, when it names
// none); a class that does not exist, or a priority the pod sets itself that differs, is refused with
// 403. On PriorityClasses: only one may be the global default.
import type { Pod } from 'kubernetes-types/core/v1';
import type { PriorityClass } from 'kubernetes-types/scheduling/v1';
import { Resources } from '../../lib/api/resources';
import type { AdmissionAttributes, AdmissionPlugin } from '../auth/types';
import { errors } from '../errors';

/** scheduling.DefaultPriorityWhenNoDefaultClassExists. */
export const DefaultPriorityWhenNoDefaultClassExists = 0;

export interface PriorityAdmissionOptions {
  listPriorityClasses: () => Promise<PriorityClass[]>;
}

export class PriorityAdmission implements AdmissionPlugin {
  readonly name = 'Priority';
  constructor(private readonly o: PriorityAdmissionOptions) {}

  /** The global default class (the lowest value among several, as kube picks): name, value, policy. */
  private async defaultClass(): Promise<PriorityClass | undefined> {
    const defaults = (await this.o.listPriorityClasses()).filter((pc) => pc.globalDefault);
    return defaults.sort((a, b) => a.value - b.value)[0];
  }

  async admit(a: AdmissionAttributes): Promise<void> {
    if (a.rt !== Resources.pods || a.subresource !== '' || a.operation !== 'CREATE' || !a.object) return;
    const pod = a.object as unknown as Pod;
    const spec = pod.spec;
    if (!spec) return;
    // Pod defaulting (which runs before admission, and stands in for this plugin when it is off) has
    // already set priority 0 on a pod naming no class, and preemptionPolicy PreemptLowerPriority: those
    // values count as unset here, so only a value the pod states that differs is refused.
    if (!spec.priorityClassName && spec.priority === DefaultPriorityWhenNoDefaultClassExists) delete spec.priority;
    if (spec.preemptionPolicy === 'PreemptLowerPriority') delete spec.preemptionPolicy;
    let priority = DefaultPriorityWhenNoDefaultClassExists;
    let policy = 'PreemptLowerPriority';
    if (!spec.priorityClassName) {
      const dflt = await this.defaultClass();
      if (dflt) {
        spec.priorityClassName = dflt.metadata?.name;
        priority = dflt.value;
        policy = dflt.preemptionPolicy ?? policy;
      }
    } else {
      const pc = (await this.o.listPriorityClasses()).find((c) => c.metadata?.name === spec.priorityClassName);
      if (!pc) throw errors.forbidden(Resources.pods, a.name, `no PriorityClass with name ${spec.priorityClassName} was found`);
      priority = pc.value;
      policy = pc.preemptionPolicy ?? policy;
    }
    if (spec.priority !== undefined && spec.priority !== null && spec.priority !== priority) {
      throw errors.forbidden(Resources.pods, a.name, `the integer value of priority (${spec.priority}) must not be provided in pod spec; priority admission controller computed ${priority} from the given PriorityClass name`);
    }
    spec.priority = priority;
    if (spec.preemptionPolicy && spec.preemptionPolicy !== policy) {
      throw errors.forbidden(Resources.pods, a.name, `the string value of PreemptionPolicy (${spec.preemptionPolicy}) must not be provided in pod spec; priority admission controller computed ${policy} from the given PriorityClass name`);
    }
    spec.preemptionPolicy = policy;
  }

  async validate(a: AdmissionAttributes): Promise<void> {
    if (a.rt !== Resources.priorityclasses || a.subresource !== '' || !a.object) return;
    if (a.operation !== 'CREATE' && a.operation !== 'UPDATE') return;
    const pc = a.object as unknown as PriorityClass;
    if (!pc.globalDefault) return;
    const other = (await this.o.listPriorityClasses()).find((c) => c.globalDefault && c.metadata?.name !== pc.metadata?.name);
    if (other) throw errors.forbidden(Resources.priorityclasses, a.name, `PriorityClass ${other.metadata?.name} is already marked as default. Only one default can exist`);
  }
}
