// The events stream: the cluster's events as they arrive from the watch, newest first, Warnings
// highlighted, filterable by type and text.
import type { Event } from 'kubernetes-types/core/v1';
import { useState } from 'preact/hooks';
import { KindStatusLine } from './common';
import { useConsole } from './context';
import { useKinds } from './hooks';
import { EventList, eventTime } from './workload-detail';

const SHOWN = 300;

export function EventsView() {
  const store = useKinds('events');
  const { namespace } = useConsole();
  const [type, setType] = useState('');
  const [filter, setFilter] = useState('');
  const needle = filter.toLowerCase();
  const events = store.listOf<Event>('events')
    .filter((e) => (!namespace || e.metadata?.namespace === namespace) && (!type || e.type === type))
    .filter((e) => !needle || `${e.reason} ${e.message} ${e.involvedObject?.name}`.toLowerCase().includes(needle))
    .sort((a, b) => eventTime(b) - eventTime(a));
  return (
    <div class="view" data-view="events">
      <h1>Events</h1>
      <KindStatusLine kinds={['events']} />
      <div class="filters">
        <label class="inline">
          Type{' '}
          <select value={type} onChange={(e) => setType((e.target as HTMLSelectElement).value)}>
            <option value="">All</option>
            <option>Normal</option>
            <option>Warning</option>
          </select>
        </label>
        <label class="inline">
          Filter <input type="search" value={filter} onInput={(e) => setFilter((e.target as HTMLInputElement).value)} />
        </label>
        <span class="muted">
          {events.length > SHOWN ? `newest ${SHOWN} of ${events.length}` : `${events.length} events`}
        </span>
      </div>
      <EventList events={events.slice(0, SHOWN)} showObject />
    </div>
  );
}
