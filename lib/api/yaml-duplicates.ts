// Keys repeated within one mapping of a YAML text, as go-yaml's strict decoding reports them
// (`line 5: key "name" already set in map`): kube-apiserver decodes YAML bodies (and every apply patch)
// leniently, the last of two equal keys winning, and reports the repetitions under fieldValidation
// Warn (one warning per line) or Strict (one error). js-yaml either keeps the last value silently
// (`json: true`) or throws on the first repetition; to find them all, each repeated key it throws on is
// renamed in a copy of the text (same line, so later line numbers hold) and the copy parsed again.
import * as yaml from 'js-yaml';

/** One repeated key: its 1-based line and go-yaml's words for it. */
export interface YamlDuplicate {
  line: number;
  message: string;
}

/** The key written at `at` (plain, single- or double-quoted), as its string value. */
function keyAt(text: string, at: number): string {
  const q = text[at];
  if (q === '"') {
    let j = at + 1;
    while (j < text.length && text[j] !== '"') j += text[j] === '\\' ? 2 : 1;
    try {
      return JSON.parse(text.slice(at, j + 1)) as string;
    } catch {
      return text.slice(at + 1, j);
    }
  }
  if (q === "'") {
    let j = at + 1;
    while (j < text.length && !(text[j] === "'" && text[j + 1] !== "'")) j += text[j] === "'" ? 2 : 1;
    return text.slice(at + 1, j).replace(/''/g, "'");
  }
  const m = /^(.*?)\s*:(?:\s|$)/.exec(text.slice(at, text.indexOf('\n', at) < 0 ? undefined : text.indexOf('\n', at)));
  return m ? m[1] : '';
}

/** go-yaml prints the key with %#v: a string key quoted. */
const goKey = (key: string): string => JSON.stringify(key);

/** At most this many repetitions are looked for, and at most this many bytes parsed in all (each repetition costs a parse). */
const MAX_DUPLICATES = 100;
const MAX_PARSED_BYTES = 32 * 1024 * 1024;

/**
 * The keys repeated within a mapping of a YAML text, in text order. The text must already load with
 * `json: true`; a text js-yaml refuses for another reason yields what was found before it.
 */
export function yamlDuplicateKeys(text: string, schema: yaml.Schema = yaml.CORE_SCHEMA): YamlDuplicate[] {
  const found: YamlDuplicate[] = [];
  let copy = text;
  for (let n = 0; n < MAX_DUPLICATES && (n + 1) * copy.length <= MAX_PARSED_BYTES; n++) {
    try {
      yaml.loadAll(copy, undefined, { schema });
      break;
    } catch (err) {
      const e = err as yaml.YAMLException;
      const at = e.mark?.position;
      if (e.reason !== 'duplicated mapping key' || at === undefined) break;
      found.push({ line: e.mark.line + 1, message: `line ${e.mark.line + 1}: key ${goKey(keyAt(copy, at))} already set in map` });
      // A prefix no key of the text has makes the repetition a key of its own.
      copy = `${copy.slice(0, at)}steer-dup-${n}-${copy.slice(at)}`;
    }
  }
  return found.sort((a, b) => a.line - b.line);
}
