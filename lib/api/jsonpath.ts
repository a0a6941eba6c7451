// kubectl's JSONPath templates (k8s.io/client-go/util/jsonpath), as `-o jsonpath=`, custom-columns and
// --sort-by use them: text with `{actions}`; actions are paths (`.a.b`, `[0]`, `[1:3]`, `[*]`, `..x`,
// `['key']`, unions `[0,2]`, filters `[?(@.x=="y")]`), quoted text (`{"\t"}`) and `{range …}…{end}`.
// It is a port of the Go parser and evaluator rather than a JSONPath library, because kubectl's output
// depends on its details: results of one action are joined by spaces, maps and lists print as Go's
// json.Marshal, a missing key prints nothing (kubectl get allows missing keys), errors read the same.
import { sortKeysDeep } from './json';

type Json = unknown;

interface ArrayParam {
  value: number;
  known: boolean;
  derived: boolean;
}

type Node =
  | { type: 'list'; nodes: Node[] }
  | { type: 'text'; text: string }
  | { type: 'field'; name: string }
  | { type: 'array'; params: [ArrayParam, ArrayParam, ArrayParam] }
  | { type: 'filter'; left: ListNode; right: ListNode; operator: string }
  | { type: 'int'; value: number }
  | { type: 'float'; value: number }
  | { type: 'bool'; value: boolean }
  | { type: 'wildcard' }
  | { type: 'recursive' }
  | { type: 'union'; lists: ListNode[] }
  | { type: 'identifier'; name: 'range' | 'end' };
type ListNode = { type: 'list'; nodes: Node[] };

export class JsonPathParseError extends Error {}
export class JsonPathExecError extends Error {}

const isSpace = (c: string) => c === ' ' || c === '\t';
const isEndOfLine = (c: string) => c === '\r' || c === '\n';
const isAlphaNumeric = (c: string) => c === '_' || /^[\p{L}\p{N}]$/u.test(c);
const isTerminator = (c: string) => c === '' || isSpace(c) || isEndOfLine(c) || '.,[]$@{}'.includes(c);

/** The Go parser: a small cursor over the template, one method per construct. */
class Parser {
  private pos = 0;
  private start = 0;
  readonly root: ListNode = { type: 'list', nodes: [] };
  constructor(private readonly input: string) {}

  static parse(text: string): ListNode {
    const p = new Parser(text);
    p.parseText(p.root);
    return p.root;
  }

  private next(): string {
    if (this.pos >= this.input.length) {
      this.pos++; // so backup() after eof is symmetric
      return '';
    }
    const c = this.input[this.pos];
    this.pos++;
    return c;
  }
  private backup(): void {
    this.pos--;
  }
  private peek(): string {
    return this.pos < this.input.length ? this.input[this.pos] : '';
  }
  private consumeText(): string {
    const value = this.input.slice(this.start, Math.min(this.pos, this.input.length));
    this.start = this.pos;
    return value;
  }
  private rest(): string {
    return this.input.slice(this.pos);
  }

  private parseText(cur: ListNode): void {
    const at = this.input.indexOf('{', this.pos);
    if (at < 0) {
      this.pos = this.input.length;
      const text = this.consumeText();
      if (text) cur.nodes.push({ type: 'text', text });
      return;
    }
    this.pos = at;
    const text = this.consumeText();
    if (text) cur.nodes.push({ type: 'text', text });
    this.parseLeftDelim(cur);
  }

  private parseLeftDelim(cur: ListNode): void {
    this.pos += 1;
    this.consumeText();
    const list: ListNode = { type: 'list', nodes: [] };
    cur.nodes.push(list);
    this.parseInsideAction(list);
  }

  private parseRightDelim(): void {
    this.pos += 1;
    this.consumeText();
    this.parseText(this.root);
  }

  private parseInsideAction(cur: ListNode): void {
    for (;;) {
      const rest = this.rest();
      if (rest.startsWith('}')) return this.parseRightDelim();
      if (rest.startsWith('[?(')) return this.parseFilter(cur);
      if (rest.startsWith('..')) return this.parseRecursive(cur);
      const c = this.next();
      if (c === '' || isEndOfLine(c)) throw new JsonPathParseError('unclosed action');
      if (c === ' ' || c === '@' || c === '$') {
        this.consumeText(); // spaces, and the current object, are nothing to evaluate
        continue;
      }
      if (c === '[') return this.parseArray(cur);
      if (c === '"' || c === "'") return this.parseQuote(cur, c);
      if (c === '.') return this.parseField(cur);
      if (c === '+' || c === '-' || /^[0-9]$/.test(c)) {
        this.backup();
        return this.parseNumber(cur);
      }
      if (isAlphaNumeric(c)) {
        this.backup();
        return this.parseIdentifier(cur);
      }
      throw new JsonPathParseError(`unrecognized character in action: U+${c.codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0')} '${c}'`);
    }
  }

  private parseIdentifier(cur: ListNode): void {
    for (;;) {
      const c = this.next();
      if (isTerminator(c) || c === ')') {
        this.backup();
        break;
      }
    }
    const value = this.consumeText();
    if (value === 'range' || value === 'end') cur.nodes.push({ type: 'identifier', name: value });
    else if (value === 'true' || value === 'false') cur.nodes.push({ type: 'bool', value: value === 'true' });
    else throw new JsonPathParseError(`unrecognized identifier ${value}`);
    this.parseInsideAction(cur);
  }

  private parseRecursive(cur: ListNode): void {
    const last = cur.nodes[cur.nodes.length - 1];
    if (last && last.type === 'recursive') throw new JsonPathParseError('invalid multiple recursive descent');
    this.pos += 2;
    this.consumeText();
    cur.nodes.push({ type: 'recursive' });
    if (isAlphaNumeric(this.peek())) return this.parseField(cur);
    this.parseInsideAction(cur);
  }

  private parseNumber(cur: ListNode): void {
    const c = this.peek();
    if (c === '+' || c === '-') this.next();
    for (;;) {
      const d = this.next();
      if (d !== '.' && !/^[0-9]$/.test(d)) {
        this.backup();
        break;
      }
    }
    const value = this.consumeText();
    if (/^[+-]?\d+$/.test(value)) cur.nodes.push({ type: 'int', value: Number(value) });
    else if (/^[+-]?(\d+\.\d*|\.\d+)$/.test(value)) cur.nodes.push({ type: 'float', value: Number(value) });
    else throw new JsonPathParseError(`cannot parse number ${value}`);
    this.parseInsideAction(cur);
  }

  private parseArray(cur: ListNode): void {
    // Everything up to the closing bracket (quotes may hold one).
    let quote = '';
    for (;;) {
      const c = this.next();
      if (c === '' || isEndOfLine(c)) throw new JsonPathParseError('unterminated array');
      if (quote) {
        if (c === quote) quote = '';
        continue;
      }
      if (c === '"' || c === "'") quote = c;
      else if (c === ']') break;
    }
    const text = this.consumeText();
    const inner = text.slice(1, -1);
    if (inner === '*') {
      cur.nodes.push({ type: 'wildcard' });
      return this.parseInsideAction(cur);
    }
    const parts = inner.split(',');
    if (parts.length > 1) {
      const lists = parts.map((part) => parseAction(`[${part.trim()}]`));
      cur.nodes.push({ type: 'union', lists });
      return this.parseInsideAction(cur);
    }
    const dictKey = /^'([^']*)'$/.exec(inner);
    if (dictKey) {
      cur.nodes.push({ type: 'field', name: dictKey[1] });
      return this.parseInsideAction(cur);
    }
    const slice = /^(-?\d*)(:-?\d*)?(:-?\d*)?$/.exec(inner);
    if (!slice) throw new JsonPathParseError(`invalid array index ${inner}`);
    const params: [ArrayParam, ArrayParam, ArrayParam] = [
      { value: 0, known: false, derived: false },
      { value: 0, known: false, derived: false },
      { value: 0, known: false, derived: false },
    ];
    for (let i = 0; i < 3; i++) {
      let v = slice[i + 1] ?? '';
      if (v !== '') {
        if (i > 0) v = v.slice(1);
        if (i > 0 && v === '') params[i].known = false;
        else params[i] = { value: Number(v), known: true, derived: false };
      } else if (i === 1) {
        params[1] = { value: params[0].value + 1, known: true, derived: true };
      }
    }
    cur.nodes.push({ type: 'array', params });
    this.parseInsideAction(cur);
  }

  private parseFilter(cur: ListNode): void {
    this.pos += 3;
    this.consumeText();
    let quote = '';
    for (;;) {
      const c = this.next();
      if (c === '' || c === '\n') throw new JsonPathParseError('unterminated filter');
      if (quote) {
        if (c === quote) quote = '';
      } else if (c === '"' || c === "'") quote = c;
      else if (c === ')') break;
    }
    if (this.next() !== ']') throw new JsonPathParseError('unclosed array expect ]');
    const value = this.consumeText().slice(0, -2);
    const m = /^([^!<>=]+)([!<>=]+)(.+?)$/.exec(value);
    if (!m) cur.nodes.push({ type: 'filter', left: parseAction(value), right: { type: 'list', nodes: [] }, operator: 'exists' });
    else cur.nodes.push({ type: 'filter', left: parseAction(m[1]), right: parseAction(m[3]), operator: m[2] });
    this.parseInsideAction(cur);
  }

  private parseQuote(cur: ListNode, end: string): void {
    for (;;) {
      const c = this.next();
      if (c === '' || isEndOfLine(c)) throw new JsonPathParseError('unterminated quoted string');
      if (c === '\\') {
        this.next();
        continue;
      }
      if (c === end) break;
    }
    const raw = this.consumeText();
    cur.nodes.push({ type: 'text', text: unquote(raw) });
    this.parseInsideAction(cur);
  }

  private parseField(cur: ListNode): void {
    this.consumeText();
    for (;;) {
      const c = this.next();
      if (c === '\\') {
        this.next(); // an escaped terminator (`\.`) belongs to the name
        continue;
      }
      if (isTerminator(c)) {
        this.backup();
        break;
      }
    }
    const value = this.consumeText();
    if (value === '*') cur.nodes.push({ type: 'wildcard' });
    else cur.nodes.push({ type: 'field', name: value.replace(/\\/g, '') });
    this.parseInsideAction(cur);
  }
}

/** A filter side or union member is parsed as an action of its own. */
function parseAction(text: string): ListNode {
  return Parser.parse(`{${text}}`);
}

/** Go's strconv.Unquote for "…" (escapes) and '…'. */
function unquote(raw: string): string {
  const body = raw.slice(1, -1);
  return body.replace(/\\(x[0-9a-fA-F]{2}|u[0-9a-fA-F]{4}|.)/g, (_, e: string) => {
    if (e.startsWith('x') && e.length === 3) return String.fromCharCode(parseInt(e.slice(1), 16));
    if (e.startsWith('u') && e.length === 5) return String.fromCharCode(parseInt(e.slice(1), 16));
    const simple: Record<string, string> = { n: '\n', t: '\t', r: '\r', a: '\x07', b: '\b', f: '\f', v: '\v', '\\': '\\', '"': '"', "'": "'" };
    return simple[e] ?? e;
  });
}

const isObject = (v: Json): v is Record<string, Json> => !!v && typeof v === 'object' && !Array.isArray(v);

/** A parsed template; `execute` evaluates it against one JSON document. */
export class JsonPath {
  private readonly root: ListNode;
  constructor(
    readonly template: string,
    private readonly allowMissingKeys = true,
  ) {
    this.root = Parser.parse(template);
  }

  /** The result sets, one per action (range bodies give one per element), as client-go's FindResults. */
  findResults(data: Json): Json[][] {
    const state = { beginRange: 0, inRange: 0, endRange: 0 };
    const [results] = this.findIn(this.root.nodes, data, state);
    return results;
  }

  /** The template's text for this document (kubectl's JSONPath.Execute). */
  execute(data: Json): string {
    return this.findResults(data).map(printResults).join('');
  }

  private findIn(nodes: Node[], data: Json, st: { beginRange: number; inRange: number; endRange: number }): [Json[][], number] {
    const full: Json[][] = [];
    const cur: Json[] = data === undefined ? [] : [data];
    for (let i = 0; i < nodes.length; i++) {
      const results = this.walk(cur, nodes[i], st);
      if (st.endRange > 0 && st.endRange <= st.inRange) {
        st.endRange--;
        return [full, i];
      }
      if (st.beginRange > 0) {
        st.beginRange--;
        st.inRange++;
        const body = nodes.slice(i + 1);
        let consumed = body.length;
        if (results.length > 0) {
          for (const value of results) {
            const [r, endAt] = this.findIn(body, value, st);
            full.push(...r);
            consumed = endAt;
          }
        } else {
          // No elements: still walk the body once so the matching {end} is found.
          consumed = this.findIn(body, undefined, st)[1];
        }
        st.inRange--;
        i = i + 1 + consumed;
        continue;
      }
      full.push(results);
    }
    return [full, nodes.length];
  }

  private walk(input: Json[], node: Node, st: { beginRange: number; inRange: number; endRange: number }): Json[] {
    switch (node.type) {
      case 'list': {
        let cur = input;
        for (const n of node.nodes) cur = this.walk(cur, n, st);
        return cur;
      }
      case 'text':
        return [node.text];
      case 'int':
      case 'float':
      case 'bool':
        return [node.value];
      case 'field':
        return this.evalField(input, node.name);
      case 'array':
        return this.evalArray(input, node.params);
      case 'filter':
        return this.evalFilter(input, node, st);
      case 'wildcard':
        return evalWildcard(input);
      case 'recursive':
        return evalRecursive(input);
      case 'union':
        return node.lists.flatMap((l) => this.walk(input, l, st));
      case 'identifier':
        if (node.name === 'range') st.beginRange++;
        else {
          if (st.inRange <= 0) throw new JsonPathExecError('not in range, nothing to end');
          st.endRange++;
        }
        return input;
    }
  }

  private evalField(input: Json[], name: string): Json[] {
    if (input.length === 0) return [];
    if (name === '') return input;
    const out: Json[] = [];
    for (const v of input) if (isObject(v) && Object.prototype.hasOwnProperty.call(v, name)) out.push(v[name]);
    if (out.length === 0 && !this.allowMissingKeys) throw new JsonPathExecError(`${name} is not found`);
    return out;
  }

  private evalArray(input: Json[], params: [ArrayParam, ArrayParam, ArrayParam]): Json[] {
    const out: Json[] = [];
    for (const v of input) {
      if (v === null || v === undefined) continue;
      if (!Array.isArray(v)) throw new JsonPathExecError(`${goTypeName(v)} is not array or slice`);
      const len = v.length;
      let start = params[0].value;
      let end = params[1].known ? params[1].value : len;
      if (start < 0) start += len;
      if (end < 0 || (end === 0 && params[1].derived)) end += len;
      if (end === start) continue; // zero elements asked for
      if (start >= len || start < 0) throw new JsonPathExecError(`array index out of bounds: index ${start}, length ${len}`);
      if (end > len || end < 0) throw new JsonPathExecError(`array index out of bounds: index ${end - 1}, length ${len}`);
      if (start > end) throw new JsonPathExecError(`starting index ${start} is greater than ending index ${end}`);
      let step = 1;
      if (params[2].known) {
        if (params[2].value <= 0) throw new JsonPathExecError('step must be > 0');
        step = params[2].value;
      }
      for (let i = start; i < end; i += step) out.push(v[i]);
    }
    return out;
  }

  private evalFilter(input: Json[], node: Extract<Node, { type: 'filter' }>, st: { beginRange: number; inRange: number; endRange: number }): Json[] {
    const out: Json[] = [];
    for (const v of input) {
      if (!Array.isArray(v)) throw new JsonPathExecError(`${goValue(v)} is not array or slice and cannot be filtered`);
      for (const item of v) {
        const lefts = this.walk([item], node.left, st);
        if (node.operator === 'exists') {
          if (lefts.length > 0) out.push(item);
          continue;
        }
        if (lefts.length === 0) continue;
        if (lefts.length > 1) throw new JsonPathExecError('can only compare one element at a time');
        const rights = this.walk([item], node.right, st);
        if (rights.length === 0) continue;
        if (rights.length > 1) throw new JsonPathExecError('can only compare one element at a time');
        if (compare(lefts[0], rights[0], node.operator)) out.push(item);
      }
    }
    return out;
  }
}

function sortedEntries(o: Record<string, Json>): Json[] {
  return Object.keys(o)
    .sort()
    .map((k) => o[k]);
}

function evalWildcard(input: Json[]): Json[] {
  const out: Json[] = [];
  for (const v of input) {
    if (Array.isArray(v)) out.push(...v);
    else if (isObject(v)) out.push(...sortedEntries(v)); // Go's map order is random; sorted is one of them
  }
  return out;
}

/** `..`: every map and list below (and including) each input, depth first. */
function evalRecursive(input: Json[]): Json[] {
  const out: Json[] = [];
  for (const v of input) {
    const children = Array.isArray(v) ? v : isObject(v) ? sortedEntries(v) : [];
    if (children.length === 0) continue;
    out.push(v, ...evalRecursive(children));
  }
  return out;
}

function compare(left: Json, right: Json, op: string): boolean {
  const comparable = (typeof left === 'number' && typeof right === 'number') || (typeof left === 'string' && typeof right === 'string') || (typeof left === 'boolean' && typeof right === 'boolean');
  if (op === '==' || op === '!=') {
    if (!comparable) throw new JsonPathExecError('incompatible types for comparison');
    return op === '==' ? left === right : left !== right;
  }
  if (!comparable || typeof left === 'boolean') throw new JsonPathExecError('incompatible types for comparison');
  const l = left as number | string;
  const r = right as number | string;
  switch (op) {
    case '<':
      return l < r;
    case '>':
      return l > r;
    case '<=':
      return l <= r;
    case '>=':
      return l >= r;
    default:
      throw new JsonPathExecError(`unrecognized filter operator ${op}`);
  }
}

/** Go's encoding/json.Marshal of unstructured data: sorted keys, HTML characters escaped. */
export function goJson(v: Json): string {
  return JSON.stringify(sortKeysDeep(v)).replace(/[<>&\u2028\u2029]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}


/** Go's fmt %v of unstructured data: map[a:1 b:x], [a b], <nil>. */
export function goValue(v: Json): string {
  if (v === null || v === undefined) return '<nil>';
  if (Array.isArray(v)) return `[${v.map(goValue).join(' ')}]`;
  if (isObject(v)) return `map[${Object.keys(v).sort().map((k) => `${k}:${goValue(v[k])}`).join(' ')}]`;
  return String(v);
}

function goTypeName(v: Json): string {
  if (isObject(v)) return 'map[string]interface {}';
  if (typeof v === 'string') return 'string';
  if (typeof v === 'number') return Number.isInteger(v) ? 'int64' : 'float64';
  if (typeof v === 'boolean') return 'bool';
  return 'interface {}';
}

/** One result set as text: maps and lists as JSON, the rest as Go prints them, joined by spaces. */
function printResults(results: Json[]): string {
  return results.map((r) => (Array.isArray(r) || isObject(r) ? goJson(r) : goValue(r))).join(' ');
}

/** kubectl's RelaxedJSONPathExpression: `a.b`, `.a.b`, `{a.b}` and `{.a.b}` all mean `{.a.b}`. */
export function relaxedJsonPath(expr: string): string {
  if (expr === '') return expr;
  const m = /^\{\.?([^{}]+)\}$|^\.?([^{}]+)$/.exec(expr);
  if (!m) throw new Error("unexpected path string, expected a 'name1.name2' or '.name1.name2' or '{name1.name2}' or '{.name1.name2}'");
  return `{.${m[1] ?? m[2]}}`;
}

/** Parses a template as `-o jsonpath=` takes it, with kubectl's error text. */
export function compileJsonPath(template: string): JsonPath {
  try {
    return new JsonPath(template);
  } catch (err) {
    if (err instanceof JsonPathParseError) throw new Error(`error parsing jsonpath ${template}, ${err.message}`);
    throw err;
  }
}

/** Executes a `-o jsonpath` template, with kubectl's error text for a failing one. */
export function executeJsonPath(path: JsonPath, data: Json): string {
  try {
    return path.execute(data);
  } catch (err) {
    if (err instanceof JsonPathExecError) {
      throw new Error(`error executing jsonpath ${JSON.stringify(path.template)}: Error executing template: ${err.message}. Printing more information for debugging the template:\n\ttemplate was:\n\t\t${path.template}\n`);
    }
    throw err;
  }
}
