import { useState, type FormEvent } from 'react';
import { api, ApiError } from '../api/client';
import type { SessionInfo } from '../api/types';

export function LoginPage({ onSignedIn }: { onSignedIn: (s: SessionInfo) => void }) {
  const [username, setUsername] = useState('');
  const [password, setPassword] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string>();

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setBusy(true);
    setError(undefined);
    try {
      onSignedIn(await api<SessionInfo>('POST', '/session', { username, password }));
    } catch (err) {
      const a = err as ApiError;
      setError(a.id === 'unauthenticated' ? 'Wrong user name or password.' : a.message);
      setBusy(false);
    }
  };

  return (
    <div className="login">
      <div className="login-panel">
        <div className="login-brand">
          <svg width="40" height="40" viewBox="0 0 32 32" aria-hidden="true">
            <rect width="32" height="32" rx="7" fill="#2563eb" />
            <path d="M7 19h18l-3 6H10z" fill="#fff" />
            <path d="M10 16V9h5v7M17 16v-5h5v5" stroke="#fff" strokeWidth="2" fill="none" />
          </svg>
          <div>
            <h1>Berth</h1>
            <p>Container registry for the edge</p>
          </div>
        </div>
        <form onSubmit={submit} className="form" aria-describedby={error ? 'login-error' : undefined}>
          <div className="field">
            <label htmlFor="username">User name</label>
            <input id="username" name="username" autoComplete="username" autoFocus required value={username} onChange={(e) => setUsername(e.target.value)} />
          </div>
          <div className="field">
            <label htmlFor="password">Password</label>
            <input id="password" name="password" type="password" autoComplete="current-password" required value={password} onChange={(e) => setPassword(e.target.value)} />
          </div>
          {error && (
            <div id="login-error" className="alert alert-error" role="alert">
              {error}
            </div>
          )}
          <button type="submit" className="btn btn-primary btn-block" disabled={busy}>
            {busy ? 'Signing in…' : 'Sign in'}
          </button>
        </form>
        <p className="login-hint">
          First time? Sign in as <code>admin</code>. The password was printed when Berth first started and saved in{' '}
          <code>initial-admin-password</code> in the data folder (or is the one set in <code>BERTH_ADMIN_PASSWORD</code>).
        </p>
      </div>
    </div>
  );
}
