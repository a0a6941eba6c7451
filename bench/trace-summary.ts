// Where a page load's main-thread time went, from a Chrome trace (browser.startTracing with the
// devtools.timeline categories) and a V8 CPU profile (CDP Profiler): bench/console.ts prints these for
// --profile. Times are in ms from navigation, aligned on a performance mark whose time the page reports.

interface TraceEvent {
  name: string;
  cat?: string;
  ph: string;
  ts: number;
  dur?: number;
  pid: number;
  tid: number;
  args?: { name?: string; data?: { url?: string } };
}

/** One top-level task of the renderer's main thread and what its time was spent on (self time by name). */
export interface MainThreadTask {
  startMs: number;
  durMs: number;
  self: Array<[string, number]>;
}

export interface TraceSummary {
  /** Top-level tasks of at least `minTaskMs`, in order. */
  tasks: MainThreadTask[];
  /** Self time by event name over every task up to `untilMs`, largest first. */
  totals: Array<[string, number]>;
  /** Main-thread time busy in tasks up to `untilMs`. */
  busyMs: number;
}

/**
 * `markName` is a performance mark the page set at `markMs` (ms from navigation): it tells which
 * renderer thread is the page's and how the trace's clock maps to the page's.
 */
export function summarizeTrace(json: string, markName: string, markMs: number, untilMs: number, minTaskMs = 15): TraceSummary {
  const parsed = JSON.parse(json) as { traceEvents?: TraceEvent[] } | TraceEvent[];
  const events = Array.isArray(parsed) ? parsed : (parsed.traceEvents ?? []);
  const mark = events.find((e) => e.name === markName && (e.cat ?? '').includes('user_timing'));
  if (!mark) throw new Error(`the trace has no mark ${markName}`);
  const origin = mark.ts / 1000 - markMs;
  const thread = events.filter((e) => e.pid === mark.pid && e.tid === mark.tid && e.ph === 'X' && e.dur !== undefined).sort((a, b) => a.ts - b.ts || (b.dur ?? 0) - (a.dur ?? 0));
  const tasks: MainThreadTask[] = [];
  const totals = new Map<string, number>();
  let busyMs = 0;
  // Nesting by time: each event's self time is its duration less its children's.
  type Open = { e: TraceEvent; end: number; childUs: number };
  let stack: Open[] = [];
  let task: { startMs: number; durMs: number; self: Map<string, number> } | undefined;
  const close = (o: Open) => {
    const selfMs = Math.max(0, (o.e.dur! - o.childUs) / 1000);
    if (task) task.self.set(o.e.name, (task.self.get(o.e.name) ?? 0) + selfMs);
    if (stack.length) stack[stack.length - 1].childUs += o.e.dur!;
  };
  const finishTask = () => {
    while (stack.length) close(stack.pop()!);
    if (!task) return;
    if (task.startMs <= untilMs) {
      busyMs += task.durMs;
      for (const [n, ms] of task.self) totals.set(n, (totals.get(n) ?? 0) + ms);
      if (task.durMs >= minTaskMs) tasks.push({ startMs: task.startMs, durMs: task.durMs, self: [...task.self].filter(([, ms]) => ms >= 1).sort((a, b) => b[1] - a[1]) });
    }
    task = undefined;
  };
  for (const e of thread) {
    while (stack.length && stack[stack.length - 1].end <= e.ts) close(stack.pop()!);
    if (!stack.length) {
      finishTask();
      stack = [];
      task = { startMs: e.ts / 1000 - origin, durMs: e.dur! / 1000, self: new Map() };
    }
    stack.push({ e, end: e.ts + e.dur!, childUs: 0 });
  }
  finishTask();
  return { tasks, totals: [...totals].sort((a, b) => b[1] - a[1]), busyMs };
}

interface CpuProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}

export interface CpuProfile {
  nodes: CpuProfileNode[];
  startTime: number;
  samples?: number[];
  timeDeltas?: number[];
}

/** Self time by function (name, file and line) in a V8 CPU profile, largest first. */
export function profileSelfTimes(profile: CpuProfile, top = 25): Array<[string, number]> {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const self = new Map<string, number>();
  const samples = profile.samples ?? [];
  const deltas = profile.timeDeltas ?? [];
  for (let i = 0; i < samples.length; i++) {
    const n = byId.get(samples[i]);
    if (!n) continue;
    const f = n.callFrame;
    const file = f.url ? f.url.replace(/^.*\//, '').replace(/\?.*$/, '') : '';
    const key = `${f.functionName || '(anonymous)'} ${file}${file ? `:${f.lineNumber + 1}` : ''}`;
    // A sample's time is the gap to the next one.
    const ms = (deltas[i + 1] ?? 0) / 1000;
    self.set(key, (self.get(key) ?? 0) + ms);
  }
  return [...self].sort((a, b) => b[1] - a[1]).slice(0, top);
}
