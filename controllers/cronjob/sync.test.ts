import type { CronJob, Job } from 'kubernetes-types/batch/v1';
import { jobNameFor, planCronJob } from './sync';

const created = '2026-01-01T00:00:00Z';
function cronJob(spec: Partial<NonNullable<CronJob['spec']>> = {}, status: CronJob['status'] = {}): CronJob {
  return {
    metadata: { name: 'tick', namespace: 'default', uid: 'cj-uid', creationTimestamp: created },
    spec: { schedule: '*/5 * * * *', concurrencyPolicy: 'Allow', successfulJobsHistoryLimit: 3, failedJobsHistoryLimit: 1, jobTemplate: { spec: { template: { spec: { restartPolicy: 'Never', containers: [{ name: 'c', image: 'busybox' }] } } } }, ...spec },
    status,
  };
}
function job(name: string, uid: string, finished?: 'Complete' | 'Failed', start = '2026-01-01T00:00:00Z'): Job {
  return {
    metadata: { name, namespace: 'default', uid, creationTimestamp: start, ownerReferences: [{ apiVersion: 'batch/v1', kind: 'CronJob', name: 'tick', uid: 'cj-uid', controller: true }] },
    status: { startTime: start, ...(finished ? { conditions: [{ type: finished, status: 'True' }], ...(finished === 'Complete' ? { completionTime: start } : {}) } : {}) },
  };
}
const at = (s: string) => new Date(s);

describe('planCronJob', () => {
  it('starts nothing before the first schedule, and the Job of the latest schedule once due', () => {
    const early = planCronJob(cronJob(), [], at('2026-01-01T00:04:00Z'));
    expect(early.create).toBeUndefined();
    expect(early.requeueAfterMs).toBe(60_100);
    const p = planCronJob(cronJob(), [], at('2026-01-01T00:11:00Z'));
    expect(p.create?.metadata?.name).toBe(jobNameFor('tick', at('2026-01-01T00:10:00Z')));
    expect(p.create?.metadata?.annotations?.['batch.kubernetes.io/cronjob-scheduled-timestamp']).toBe('2026-01-01T00:10:00Z');
    expect(p.status.lastScheduleTime).toBe('2026-01-01T00:10:00Z');
  });

  it('skips a schedule missed by more than startingDeadlineSeconds', () => {
    const p = planCronJob(cronJob({ startingDeadlineSeconds: 30 }), [], at('2026-01-01T00:11:00Z'));
    expect(p.create).toBeUndefined();
    expect(p.events).toEqual([]);
    const q = planCronJob(cronJob({ startingDeadlineSeconds: 90 }), [], at('2026-01-01T00:11:00Z'));
    expect(q.create?.metadata?.name).toBe(jobNameFor('tick', at('2026-01-01T00:10:00Z')));
  });

  it('warns about too many missed times and still starts the latest', () => {
    const p = planCronJob(cronJob({ schedule: '* * * * *' }), [], at('2026-01-02T00:00:30Z'));
    expect(p.events.map((e) => e.reason)).toContain('TooManyMissedTimes');
    expect(p.status.lastScheduleTime).toBe('2026-01-02T00:00:00Z');
  });

  it('Forbid waits for the running Job; Replace deletes it; Allow runs both', () => {
    const running = job('tick-1', 'j1');
    const status = { active: [{ kind: 'Job', name: 'tick-1', uid: 'j1', namespace: 'default' }], lastScheduleTime: '2026-01-01T00:05:00Z' };
    const now = at('2026-01-01T00:10:10Z');
    const forbid = planCronJob(cronJob({ concurrencyPolicy: 'Forbid' }, status), [running], now);
    expect(forbid.create).toBeUndefined();
    expect(forbid.events.map((e) => e.reason)).toEqual(['JobAlreadyActive']);
    const replace = planCronJob(cronJob({ concurrencyPolicy: 'Replace' }, status), [running], now);
    expect(replace.delete).toEqual([running]);
    expect(replace.create).toBeDefined();
    expect(replace.status.active).toBeUndefined();
    expect(planCronJob(cronJob({}, status), [running], now)).toMatchObject({ delete: [], create: expect.anything() });
  });

  it('suspend starts nothing; a finished Job leaves the active list and sets lastSuccessfulTime', () => {
    expect(planCronJob(cronJob({ suspend: true }), [], at('2026-01-01T00:11:00Z')).create).toBeUndefined();
    const done = job('tick-1', 'j1', 'Complete', '2026-01-01T00:05:00Z');
    const p = planCronJob(cronJob({}, { active: [{ name: 'tick-1', uid: 'j1' }], lastScheduleTime: '2026-01-01T00:05:00Z' }), [done], at('2026-01-01T00:06:00Z'));
    expect(p.status.active).toBeUndefined();
    expect(p.status.lastSuccessfulTime).toBe('2026-01-01T00:05:00Z');
    expect(p.events.map((e) => e.reason)).toEqual(['SawCompletedJob']);
  });

  it('keeps successfulJobsHistoryLimit and failedJobsHistoryLimit, deleting the oldest', () => {
    const jobs = [1, 2, 3, 4].map((i) => job(`ok-${i}`, `ok${i}`, 'Complete', `2026-01-01T00:0${i}:00Z`)).concat([1, 2].map((i) => job(`bad-${i}`, `bad${i}`, 'Failed', `2026-01-01T00:0${i}:00Z`)));
    const p = planCronJob(cronJob({ suspend: true }), jobs, at('2026-01-01T00:09:00Z'));
    expect(p.delete.map((j) => j.metadata?.name)).toEqual(['ok-1', 'bad-1']);
  });

  it('runs @every from the creation (or last schedule) on, and warns about a TZ in the schedule', () => {
    const every = cronJob({ schedule: '@every 7m' });
    expect(planCronJob(every, [], at('2026-01-01T00:06:59Z')).create).toBeUndefined();
    const p = planCronJob(every, [], at('2026-01-01T00:15:00Z'));
    expect(p.status.lastScheduleTime).toBe('2026-01-01T00:14:00Z');
    const q = planCronJob(cronJob({ schedule: '@every 7m' }, { lastScheduleTime: '2026-01-01T00:14:00Z' }), [], at('2026-01-01T00:21:30Z'));
    expect(q.status.lastScheduleTime).toBe('2026-01-01T00:21:00Z');
    // A stored object from before .spec.timeZone: its own zone, with kube's warning.
    const legacy = planCronJob(cronJob({ schedule: 'CRON_TZ=Asia/Tokyo 0 9 * * *' }), [], at('2026-01-02T00:30:00Z'));
    expect(legacy.status.lastScheduleTime).toBe('2026-01-02T00:00:00Z');
    expect(legacy.events[0]).toEqual({
      type: 'Warning',
      reason: 'UnsupportedSchedule',
      message: 'CRON_TZ or TZ used in schedule "CRON_TZ=Asia/Tokyo 0 9 * * *" is not officially supported, see https://kubernetes.io/docs/concepts/workloads/controllers/cron-jobs/ for more details',
    });
  });

  it('starts nothing for an unknown time zone or a schedule that never fires', () => {
    const tz = planCronJob(cronJob({ timeZone: 'Mars/Olympus' }), [], at('2026-01-01T00:11:00Z'));
    expect(tz.create).toBeUndefined();
    expect(tz.events).toEqual([{ type: 'Warning', reason: 'UnknownTimeZone', message: 'invalid timeZone: "Mars/Olympus": unknown time zone Mars/Olympus' }]);
    const never = planCronJob(cronJob({ schedule: '0 0 31 2 *' }), [], at('2027-01-01T00:00:00Z'));
    expect(never.create).toBeUndefined();
    expect(never.requeueAfterMs).toBeUndefined();
  });

  it('honours timeZone', () => {
    const p = planCronJob(cronJob({ schedule: '0 9 * * *', timeZone: 'America/New_York' }), [], at('2026-01-01T14:00:30Z'));
    expect(p.status.lastScheduleTime).toBe('2026-01-01T14:00:00Z');
  });
});
