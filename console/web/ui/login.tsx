// The login screen: a bearer token (a ServiceAccount's from `kubectl create token`, a static token file's,
// as in a kubeconfig's users[].user.token), checked against the API before the console opens. An empty
// token works only where the API allows anonymous requests.
import { useState } from 'preact/hooks';
import { errorText } from './common';
import { Discovery, Session, closeSession, discover, openSession, saveToken } from './session';

export function Login(p: { onConnected(s: Session, d: Discovery): void; message?: string }) {
  const [token, setToken] = useState('');
  const [error, setError] = useState(p.message ?? '');
  const [busy, setBusy] = useState(false);
  const submit = async (e: Event) => {
    e.preventDefault();
    setBusy(true);
    setError('');
    const session = openSession(token.trim());
    try {
      const discovery = await discover(session);
      saveToken(token.trim());
      p.onConnected(session, discovery);
    } catch (err) {
      closeSession(session);
      setError(errorText(err));
    } finally {
      setBusy(false);
    }
  };
  return (
    <main id="main" class="login">
      <form onSubmit={submit} class="panel login-form" aria-describedby="login-help">
        <h1>steer console</h1>
        <p id="login-help">
          Log in with a bearer token: the console sends it with every request to the API, so you see and change exactly what the token may. It is kept in this tab
          only.
        </p>
        <label for="token">Token</label>
        <input id="token" name="token" type="password" autoComplete="off" spellcheck={false} value={token} onInput={(e) => setToken((e.target as HTMLInputElement).value)} />
        <p class="hint">
          A ServiceAccount token: <code>kubectl -n kube-system create token console-admin</code> on a <code>steer up</code> cluster (cluster-admin), or{' '}
          <code>kubectl create token NAME</code> for one bound to a narrower role. Empty only where the API accepts anonymous requests.
        </p>
        <button type="submit" class="primary" disabled={busy}>
          {busy ? 'Checking…' : 'Log in'}
        </button>
        {error && (
          <p role="alert" class="error">
            {error}
          </p>
        )}
      </form>
    </main>
  );
}
