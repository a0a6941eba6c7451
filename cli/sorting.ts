// `get --sort-by=JSONPATH`: kubectl's RuntimeSort/TableSorter order. Values compare by type: numbers
// numerically, strings that are both quantities as quantities, other strings in natural order
// (vbom.ml/util/sortorder: digit runs compare as numbers), false before true, null first; objects
// without the field sort first. The sort is stable, so equal keys keep the server's (name) order.
import { compareQuantities, isQuantity } from '../lib/api/quantity';
import { JsonPath, relaxedJsonPath } from '../lib/api/jsonpath';

/** vbom.ml/util/sortorder.NaturalLess. */
export function naturalLess(a: string, b: string): boolean {
  const isDigit = (c: string) => c >= '0' && c <= '9';
  let i = 0;
  let j = 0;
  while (i < a.length && j < b.length) {
    const ca = a[i];
    const cb = b[j];
    const da = isDigit(ca);
    const db = isDigit(cb);
    if (da !== db) return da; // digits sort before other characters
    if (!da) {
      if (ca !== cb) return ca < cb;
      i++;
      j++;
      continue;
    }
    // Digit runs: skip leading zeros, compare by length then lexically, then by count of zeros.
    let za = i;
    while (za < a.length && a[za] === '0') za++;
    let zb = j;
    while (zb < b.length && b[zb] === '0') zb++;
    let ea = za;
    while (ea < a.length && isDigit(a[ea])) ea++;
    let eb = zb;
    while (eb < b.length && isDigit(b[eb])) eb++;
    const na = a.slice(za, ea);
    const nb = b.slice(zb, eb);
    if (na.length !== nb.length) return na.length < nb.length;
    if (na !== nb) return na < nb;
    if (za !== zb) return za < zb;
    i = ea;
    j = eb;
  }
  return a.length < b.length;
}

/** kubectl's isLess for two unstructured values. */
export function valueLess(a: unknown, b: unknown): boolean {
  if (a === null || a === undefined) return !(b === null || b === undefined);
  if (b === null || b === undefined) return false;
  if (typeof a === 'number' && typeof b === 'number') return a < b;
  if (typeof a === 'boolean' && typeof b === 'boolean') return !a && b;
  if (typeof a === 'string' && typeof b === 'string') {
    if (isQuantity(a) && isQuantity(b)) return compareQuantities(a, b) < 0;
    return naturalLess(a, b);
  }
  throw new Error(`unsortable type: ${Array.isArray(a) ? '[]interface {}' : typeof a === 'object' ? 'map[string]interface {}' : typeof a}`);
}

/** A parsed --sort-by expression. */
export function compileSortBy(field: string): JsonPath {
  return new JsonPath(relaxedJsonPath(field));
}

/**
 * Sorts items by the value `path` gives for `objectOf(item)`; fails as kubectl does when no item has
 * the field at all.
 */
export function sortByJsonPath<T>(items: T[], path: JsonPath, objectOf: (item: T) => unknown): T[] {
  if (items.length === 0) return items;
  const keyed = items.map((item, index) => {
    const values = path.findResults(objectOf(item));
    const found = values.length > 0 && values[0].length > 0;
    return { item, index, found, key: found ? values[0][0] : undefined };
  });
  if (!keyed.some((k) => k.found)) throw new Error(`couldn't find any field with path ${JSON.stringify(path.template)} in the list of objects`);
  keyed.sort((x, y) => {
    if (!x.found || !y.found) return x.found === y.found ? x.index - y.index : x.found ? 1 : -1;
    if (valueLess(x.key, y.key)) return -1;
    if (valueLess(y.key, x.key)) return 1;
    return x.index - y.index;
  });
  return keyed.map((k) => k.item);
}
