// events.k8s.io/v1 Events: the stored core/v1 Events served under the events API group, as
// kube-apiserver serves them (one storage, converted at the edge: pkg/apis/events/v1/conversion.go).
// client-go's newer event recorder (k8s.io/client-go/tools/events: kube-scheduler's, many operators')
// writes and reads this version. The fields are renamed — involvedObject ↔ regarding, message ↔ note,
// reportingComponent ↔ reportingController, source/firstTimestamp/lastTimestamp/count ↔ deprecated* —
// and so are the field selector's labels. A write through this version is checked strictly (kube's
// ValidateEventCreate/Update for events.k8s.io/v1): eventTime set, type Normal or Warning, the deprecated
// fields left unset, a series of at least 2; an update may change only the series. Served by
// served-versions.ts.
import type { Event as CoreEvent } from 'kubernetes-types/core/v1';
import type { Event } from 'kubernetes-types/events/v1';
import { goValueEqual } from '../../lib/api/json';
import { EventsV1Resource, Resources } from '../../lib/api/resources';
import type { KObj } from '../storage/types';
import { invalid, required, type FieldCause } from '../validation/common';
import type { VersionConversion } from './served-versions';

/** Field names: events.k8s.io/v1 → core/v1. */
const renamed: Array<[keyof Event, keyof CoreEvent]> = [
  ['regarding', 'involvedObject'],
  ['note', 'message'],
  ['reportingController', 'reportingComponent'],
  ['deprecatedSource', 'source'],
  ['deprecatedFirstTimestamp', 'firstTimestamp'],
  ['deprecatedLastTimestamp', 'lastTimestamp'],
  ['deprecatedCount', 'count'],
];
const same: Array<keyof Event & keyof CoreEvent> = ['metadata', 'eventTime', 'series', 'reportingInstance', 'action', 'reason', 'related', 'type'];

export function eventToV1(core: CoreEvent): Event {
  const out: Record<string, unknown> = { apiVersion: 'events.k8s.io/v1', kind: 'Event' };
  for (const k of same) if (core[k] !== undefined) out[k] = core[k];
  for (const [v1, c] of renamed) if (core[c] !== undefined) out[v1] = core[c];
  return out as unknown as Event;
}

export function eventFromV1(ev: Event): CoreEvent {
  const out: Record<string, unknown> = { apiVersion: 'v1', kind: 'Event' };
  for (const k of same) if (ev[k] !== undefined) out[k] = ev[k];
  for (const [v1, c] of renamed) if (ev[v1] !== undefined) out[c] = ev[v1];
  out.involvedObject ??= {};
  return out as unknown as CoreEvent;
}

/** events.k8s.io/v1's field selector labels → core/v1's (AddFieldLabelConversionsForEvent). */
export const eventV1FieldLabels: Record<string, string> = {
  'regarding.kind': 'involvedObject.kind',
  'regarding.namespace': 'involvedObject.namespace',
  'regarding.name': 'involvedObject.name',
  'regarding.uid': 'involvedObject.uid',
  'regarding.apiVersion': 'involvedObject.apiVersion',
  'regarding.resourceVersion': 'involvedObject.resourceVersion',
  'regarding.fieldPath': 'involvedObject.fieldPath',
  reportingController: 'reportingComponent',
};

/** Every field of a v1 Event but its metadata and series: what an update through events.k8s.io/v1 may not change. */
const immutableFields: Array<keyof Event> = [...same, ...renamed.map(([v1]) => v1)].filter((k) => k !== 'metadata' && k !== 'series');

function seriesCauses(ev: Event): FieldCause[] {
  if (!ev.series) return [];
  const causes: FieldCause[] = [];
  if (!(ev.series.count >= 2)) causes.push(invalid('series.count', '', 'should be at least 2'));
  if (!ev.series.lastObservedTime) causes.push(required('series.lastObservedTime'));
  return causes;
}

/** kube's strict rules for a write through events.k8s.io/v1 (the core rules run after conversion). */
export function validateEventV1(ev: Event, old?: Event): FieldCause[] {
  if (old) {
    const causes: FieldCause[] = [];
    for (const k of immutableFields) if (!goValueEqual(ev[k], old[k])) causes.push(invalid(k, ev[k] ?? '', 'field is immutable'));
    return [...causes, ...seriesCauses(ev)];
  }
  const causes = seriesCauses(ev);
  if (!ev.eventTime) causes.push(required('eventTime'));
  if (ev.type !== 'Normal' && ev.type !== 'Warning') causes.push(invalid('type', '', `has invalid value: ${ev.type ?? ''}`));
  if (ev.deprecatedFirstTimestamp) causes.push(invalid('deprecatedFirstTimestamp', '', 'needs to be unset'));
  if (ev.deprecatedLastTimestamp) causes.push(invalid('deprecatedLastTimestamp', '', 'needs to be unset'));
  if (ev.deprecatedCount) causes.push(invalid('deprecatedCount', '', 'needs to be unset'));
  if (ev.deprecatedSource?.component || ev.deprecatedSource?.host) causes.push(invalid('deprecatedSource', '', 'needs to be unset'));
  return causes;
}

export const eventV1Conversion: VersionConversion = {
  served: EventsV1Resource,
  stored: Resources.events,
  fieldLabels: eventV1FieldLabels,
  toServed: (o: KObj) => eventToV1(o as unknown as CoreEvent),
  toStored: (body) => eventFromV1(body as unknown as Event) as unknown as KObj,
  validate: (body, current) => validateEventV1(body as unknown as Event, current ? eventToV1(current as unknown as CoreEvent) : undefined),
};
