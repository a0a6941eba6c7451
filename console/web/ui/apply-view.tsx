// Apply YAML with the diff shown first: "Preview" sends each document's request with dryRun=All and
// shows what the server would store against what it has (or the API's error); "Apply" sends the same
// requests for real. Nothing is written before the preview.
import { useState } from 'preact/hooks';
import { ApplyPreview, parseDocuments, previewApply, runApply } from '../model/apply';
import { diffHunks, diffStats } from '../model/diff';
import { KINDS } from '../model/kinds';
import { errorText, Section } from './common';
import { useConsole } from './context';

const EXAMPLE = `apiVersion: apps/v1
kind: Deployment
metadata:
  name: hello
spec:
  replicas: 2
  selector:
    matchLabels: {app: hello}
  template:
    metadata:
      labels: {app: hello}
    spec:
      containers:
      - name: web
        image: 127.0.0.1:5000/nginx:1.22
`;

export function ApplyView() {
  const { api, namespace } = useConsole();
  const [text, setText] = useState(EXAMPLE);
  const [previews, setPreviews] = useState<ApplyPreview[] | null>(null);
  const [error, setError] = useState('');
  const [results, setResults] = useState<Array<{ outcome: string; error?: Error }>>([]);
  const [busy, setBusy] = useState(false);
  const failed = previews?.some((p) => p.error) ?? false;
  const preview = async () => {
    setBusy(true);
    setError('');
    setResults([]);
    setPreviews(null);
    try {
      setPreviews(await previewApply(api, await parseDocuments(text, namespace || 'default')));
    } catch (err) {
      setError(errorText(err));
    } finally {
      setBusy(false);
    }
  };
  const apply = async () => {
    if (!previews) return;
    setBusy(true);
    try {
      setResults(await runApply(api, previews));
      setPreviews(null);
    } finally {
      setBusy(false);
    }
  };
  return (
    <div class="view" data-view="apply">
      <h1>Apply YAML</h1>
      <p class="muted">
        One request per document, as kubectl sends it: create when the object is absent, a strategic merge patch when it exists. Preview first: the server checks
        it with <code>dryRun=All</code> and nothing is stored.
      </p>
      <label for="yaml">YAML (several documents separated by ---)</label>
      <textarea
        id="yaml"
        rows={16}
        spellcheck={false}
        value={text}
        onInput={(e) => {
          setText((e.target as HTMLTextAreaElement).value);
          setPreviews(null);
        }}
      />
      <div class="actions">
        <button type="button" class="primary" disabled={busy} onClick={() => void preview()}>
          Preview diff (server dry run)
        </button>
        <button type="button" disabled={busy || !previews || failed} onClick={() => void apply()}>
          Apply
        </button>
      </div>
      {error && (
        <p class="error" role="alert" data-apply-error>
          {error}
        </p>
      )}
      {results.length > 0 && (
        <ul class="results" role="status">
          {results.map((r, i) => (
            <li key={i} class={r.error ? 'error' : 'ok'} data-apply-result>
              {r.outcome}
              {r.error ? `: ${errorText(r.error)}` : ''}
            </li>
          ))}
        </ul>
      )}
      {previews?.map((p) => {
        const title = `${p.verb} ${KINDS[p.doc.kind].singular}/${p.doc.name}${p.doc.namespace ? ` in ${p.doc.namespace}` : ''}`;
        if (p.error) {
          return (
            <Section key={p.doc.index} title={title} id={`doc-${p.doc.index}`}>
              <p class="error" role="alert" data-apply-error>
                {errorText(p.error)}
              </p>
            </Section>
          );
        }
        const stats = diffStats(p.diff);
        return (
          <Section key={p.doc.index} title={title} id={`doc-${p.doc.index}`}>
            <p class="muted">{stats.added || stats.removed ? `+${stats.added} −${stats.removed} lines` : 'no change'}</p>
            <pre class="diff" tabIndex={0} aria-label={`diff of ${p.doc.name}`}>
              {diffHunks(p.diff).map((l, i) =>
                l === null ? (
                  <span key={i} class="skip">
                    {'⋯\n'}
                  </span>
                ) : (
                  <span key={i} class={l.op === '+' ? 'add' : l.op === '-' ? 'del' : ''}>
                    {`${l.op} ${l.text}\n`}
                  </span>
                ),
              )}
            </pre>
          </Section>
        );
      })}
    </div>
  );
}
