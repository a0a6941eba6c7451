// Duplicate fields of a JSON text. JSON.parse keeps the last of two equal keys without a word, while
// kube-apiserver's decoder reports each one (`duplicate field "spec.paused"`): a warning under
// fieldValidation=Warn, a BadRequest under Strict. No installed JSON parser reports duplicates, so this
// small scanner walks a text JSON.parse already accepted, tracking only keys and positions (the
// positions order duplicate and unknown fields as kube's decoder meets them: strict-decoding.ts).

const QUOTE = 34;
const BACKSLASH = 92;
const LBRACE = 123;
const RBRACE = 125;
const LBRACKET = 91;
const RBRACKET = 93;
const COMMA = 44;

interface Frame {
  /** The keys seen in this object; undefined for an array. */
  keys?: Set<string>;
  /** The key of the member being read, or the index of the array element. */
  at: string | number;
  expectKey: boolean;
}

function pathOf(stack: Frame[], key: string): string {
  let out = '';
  // The last frame is the object holding the duplicate; the others say where it is.
  for (let f = 0; f < stack.length - 1; f++) {
    const at = stack[f].at;
    out += typeof at === 'number' ? `[${at}]` : out ? `.${at}` : at;
  }
  return out ? `${out}.${key}` : key;
}

/** The end (index of the closing quote) of the string starting at `start` (its opening quote). */
function stringEnd(text: string, start: number): number {
  let j = start + 1;
  for (;;) {
    j = text.indexOf('"', j);
    if (j < 0) return text.length;
    let backslashes = 0;
    for (let b = j - 1; text.charCodeAt(b) === BACKSLASH; b--) backslashes++;
    if (backslashes % 2 === 0) return j;
    j++;
  }
}

/**
 * Calls visit for every object key of a valid JSON text, with the stack it is in (pathOf(stack, key)
 * is its path: built only by a caller that needs it, since every write's body is walked here), its
 * offset and whether its object already had it.
 */
function walkKeys(text: string, visit: (stack: Frame[], key: string, at: number, repeated: boolean) => void): void {
  const stack: Frame[] = [];
  const n = text.length;
  for (let i = 0; i < n; i++) {
    const c = text.charCodeAt(i);
    if (c === QUOTE) {
      const end = stringEnd(text, i);
      const top = stack[stack.length - 1];
      if (top?.keys && top.expectKey) {
        const raw = text.slice(i + 1, end);
        const key = raw.includes('\\') ? (JSON.parse(text.slice(i, end + 1)) as string) : raw;
        const repeated = top.keys.has(key);
        if (!repeated) top.keys.add(key);
        visit(stack, key, i, repeated);
        top.at = key;
        top.expectKey = false;
      }
      i = end;
    } else if (c === LBRACE) stack.push({ keys: new Set(), at: '', expectKey: true });
    else if (c === LBRACKET) stack.push({ at: 0, expectKey: false });
    else if (c === RBRACE || c === RBRACKET) stack.pop();
    else if (c === COMMA) {
      const top = stack[stack.length - 1];
      if (top?.keys) top.expectKey = true;
      else if (top) top.at = (top.at as number) + 1;
    }
  }
}

/** A repeated field and the offset of its repetition. */
export interface DuplicateField {
  path: string;
  at: number;
}

/** The fields repeated within one object of a valid JSON text, where first repeated, in text order; each path once. */
export function duplicateFieldsAt(text: string): DuplicateField[] {
  const found: DuplicateField[] = [];
  const seen = new Set<string>();
  walkKeys(text, (stack, key, at, repeated) => {
    if (!repeated) return;
    const path = pathOf(stack, key);
    if (!seen.has(path)) {
      seen.add(path);
      found.push({ path, at });
    }
  });
  return found;
}

/**
 * The paths of the fields repeated within one object of a valid JSON text, in the order found
 * ('spec.paused', 'spec.template.spec.containers[0].imagePullPolicy'); each path once.
 */
export function duplicateFields(text: string): string[] {
  return duplicateFieldsAt(text).map((d) => d.path);
}

/** The offset of the first occurrence of each of the given paths in a valid JSON text. */
export function keyOffsets(text: string, paths: ReadonlySet<string>): Map<string, number> {
  const at = new Map<string, number>();
  walkKeys(text, (stack, key, offset) => {
    const path = pathOf(stack, key);
    if (paths.has(path) && !at.has(path)) at.set(path, offset);
  });
  return at;
}
