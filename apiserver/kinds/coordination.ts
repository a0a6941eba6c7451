// The strategy of coordination.k8s.io/v1 Leases: a PUT may create one (leader election does so).
import type { Lease } from 'kubernetes-types/coordination/v1';
import { Resources } from '../../lib/api/resources';
import { leasePrinter } from '../tables/core';
import { validateLease } from '../validation/core';
import { defineKind, KindStrategy } from './strategy';

export const coordinationKinds: KindStrategy[] = [
  defineKind<Lease>(Resources.leases, { allowCreateOnUpdate: true, validate: validateLease, printer: leasePrinter }),
];
