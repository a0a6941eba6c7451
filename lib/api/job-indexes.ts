// The compressed index lists of Indexed Jobs (status.completedIndexes, status.failedIndexes): "1,3-5,7".

/** "1,3-5,7" → [1, 3, 4, 5, 7]; undefined when malformed. */
export function parseIndexes(text: string): number[] | undefined {
  if (text === '') return [];
  const out: number[] = [];
  for (const part of text.split(',')) {
    const m = /^(\d+)(?:-(\d+))?$/.exec(part);
    if (!m) return undefined;
    const first = Number(m[1]);
    const last = m[2] === undefined ? first : Number(m[2]);
    if (last < first || last - first > 1_000_000) return undefined;
    for (let i = first; i <= last; i++) out.push(i);
  }
  return out;
}

/** [1, 3, 4, 5, 7] → "1,3-5,7" (sorted, runs of three or more compressed). */
export function formatIndexes(indexes: Iterable<number>): string {
  const sorted = [...new Set(indexes)].sort((a, b) => a - b);
  const parts: string[] = [];
  for (let i = 0; i < sorted.length; ) {
    let j = i;
    while (j + 1 < sorted.length && sorted[j + 1] === sorted[j] + 1) j++;
    if (j - i >= 2) parts.push(`${sorted[i]}-${sorted[j]}`);
    else for (let k = i; k <= j; k++) parts.push(String(sorted[k]));
    i = j + 1;
  }
  return parts.join(',');
}

/**
 * kube's validateIndexesFormat: "1,3-5" for a Job of `completions` indexes — increasing, each below
 * completions. The number of indexes, or kube's reason the text is malformed.
 */
export function checkIndexesFormat(text: string, completions: number): { total: number } | { error: string } {
  if (text === '') return { total: 0 };
  let last: number | undefined;
  let total = 0;
  const integer = (s: string): number | undefined => (/^[+-]?\d+$/.test(s) ? Number(s) : undefined);
  for (const fragment of text.split(',')) {
    const limits = fragment.split('-');
    if (limits.length > 2) return { error: `the fragment ${JSON.stringify(fragment)} violates the requirement that an index interval can have at most two parts separated by '-'` };
    const bounds: number[] = [];
    for (const limit of limits) {
      const x = integer(limit);
      if (x === undefined) return { error: `cannot convert string to integer for index: ${JSON.stringify(limit)}` };
      if (x >= completions) return { error: `too large index: ${JSON.stringify(limit)}` };
      if (last !== undefined && last >= x) return { error: `non-increasing order, previous: ${last}, current: ${x}` };
      bounds.push(x);
      last = x;
    }
    total += bounds.length === 2 ? bounds[1] - bounds[0] + 1 : 1;
  }
  return { total };
}
