// Get-or-create helpers for prom-client metrics in the default registry. Several steer components may
// share one process (`steer up`), and a module may be loaded more than once (tests), so a metric is
// registered once by name and every later caller gets the same object back.
import { Counter, Gauge, Histogram, register } from 'prom-client';
import type { CounterConfiguration, GaugeConfiguration, HistogramConfiguration } from 'prom-client';

export function counter<L extends string>(cfg: CounterConfiguration<L>): Counter<L> {
  return (register.getSingleMetric(cfg.name) as Counter<L> | undefined) ?? new Counter<L>(cfg);
}

export function gauge<L extends string>(cfg: GaugeConfiguration<L>): Gauge<L> {
  return (register.getSingleMetric(cfg.name) as Gauge<L> | undefined) ?? new Gauge<L>(cfg);
}

export function histogram<L extends string>(cfg: HistogramConfiguration<L>): Histogram<L> {
  return (register.getSingleMetric(cfg.name) as Histogram<L> | undefined) ?? new Histogram<L>(cfg);
}
