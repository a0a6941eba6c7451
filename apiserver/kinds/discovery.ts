// The strategy of discovery.k8s.io/v1 EndpointSlices: stored as they come (metadata checks only), printed
// with Name and Age.
import { Resources } from '../../lib/api/resources';
import { defineKind, KindStrategy } from './strategy';

export const discoveryKinds: KindStrategy[] = [defineKind(Resources.endpointslices, {})];
