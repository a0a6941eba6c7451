// How the console prints quantities and times: CPU in cores or millicores, memory in binary units,
// ages as kubectl does (lib/api/time.ts).
import { ageOf } from '../../../lib/api/time';

export { ageOf };

/**
 * Names in natural order (node-2 before node-10). One collator for every sort: localeCompare with
 * options builds a new one per call, which made sorting 100 nodes per Service cost hundreds of ms.
 */
export const naturalCompare = new Intl.Collator(undefined, { numeric: true }).compare;

export function cpuText(milli: number): string {
  if (milli >= 1000 && milli % 100 === 0) return `${milli / 1000}`;
  return `${Math.round(milli)}m`;
}

export function bytesText(bytes: number): string {
  const units = ['B', 'Ki', 'Mi', 'Gi', 'Ti'];
  let v = bytes;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${v >= 10 || i === 0 ? Math.round(v) : v.toFixed(1)}${units[i]}`;
}

/** Share of a whole, for meters: 0..1, 0 when the whole is unknown. */
export function share(part: number, whole: number): number {
  return whole > 0 ? Math.max(0, Math.min(1, part / whole)) : 0;
}

export function clockText(ms: number): string {
  const d = new Date(ms);
  const pad = (n: number, w = 2) => String(n).padStart(w, '0');
  return `${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}.${pad(d.getMilliseconds(), 3)}`;
}
