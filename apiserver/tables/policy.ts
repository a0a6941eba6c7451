// The PodDisruptionBudget printer: MIN AVAILABLE, MAX UNAVAILABLE, ALLOWED DISRUPTIONS as kubectl prints them.
import type { PodDisruptionBudget } from 'kubernetes-types/policy/v1';
import { age, ageCol, col, meta, nameCol, Printer } from './common';

export const pdbPrinter: Printer = {
  columns: [
    nameCol,
    col('Min Available', 'The minimum number of pods that must be available.'),
    col('Max Unavailable', 'The maximum number of pods that may be unavailable.'),
    col('Allowed Disruptions', 'Calculated number of pods that may be disrupted at this time.', 0, 'integer'),
    ageCol,
  ],
  cells(obj, now) {
    const pdb = obj as PodDisruptionBudget;
    const show = (v: number | string | undefined) => (v === undefined ? 'N/A' : String(v));
    return [meta(obj).name ?? '', show(pdb.spec?.minAvailable), show(pdb.spec?.maxUnavailable), pdb.status?.disruptionsAllowed ?? 0, age(obj, now)];
  },
};
