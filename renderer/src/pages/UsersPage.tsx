import { useState, type FormEvent } from 'react';
import type { Role, User } from '../api/types';
import { api, seg, ApiError } from '../api/client';
import { useApi } from '../components/useApi';
import { useSession } from '../app/session';
import { Badge, Card, ConfirmDialog, ErrorBox, Loading, PageHeader } from '../components/ui';
import { DeleteAction } from '../components/DeleteAction';
import { UserTokensCard } from '../components/UserTokensCard';
import { formatDate } from '../components/format';

const roles: { id: Role; label: string; help: string }[] = [
  { id: 'admin', label: 'Admin', help: 'everything' },
  { id: 'developer', label: 'Developer', help: 'push, pull, delete' },
  { id: 'guest', label: 'Guest', help: 'pull only' },
];

export function UsersPage() {
  const users = useApi<{ items: User[] }>('/users');
  const { user: me } = useSession();
  const [message, setMessage] = useState<string>();
  const [actionError, setActionError] = useState<string>();
  const [resetFor, setResetFor] = useState<User>();
  const [tokensOf, setTokensOf] = useState<string>();

  const patch = async (u: User, body: Partial<{ role: Role; disabled: boolean; password: string }>, done: string) => {
    setActionError(undefined);
    try {
      await api('PATCH', `/users/${seg(u.username)}`, body);
      setMessage(done);
      users.reload();
      return true;
    } catch (e) {
      setActionError((e as ApiError).message);
      return false;
    }
  };

  return (
    <>
      <PageHeader title="Users" subtitle="Who may sign in here and push or pull images (Docker and podman use the same user names and passwords)." />
      <CreateUser
        onCreated={(u) => {
          setMessage(`Created ${u.username}.`);
          users.reload();
        }}
      />
      {message && (
        <div className="alert alert-ok" role="status">
          {message}
        </div>
      )}
      {actionError && (
        <div className="alert alert-error" role="alert">
          {actionError}
        </div>
      )}
      <Card title="All users">
        {users.error && <ErrorBox error={users.error} onRetry={users.reload} />}
        {!users.data && users.loading && <Loading />}
        {users.data && (
          <table className="table">
            <thead>
              <tr>
                <th scope="col">User</th>
                <th scope="col">Role</th>
                <th scope="col">Status</th>
                <th scope="col">Created</th>
                <th scope="col"><span className="sr-only">Actions</span></th>
              </tr>
            </thead>
            <tbody>
              {users.data.items.map((u) => (
                <tr key={u.username} className={u.disabled ? 'row-disabled' : undefined}>
                  <td className="strong">
                    {u.username} {u.username === me.username && <Badge>you</Badge>}
                  </td>
                  <td>
                    <label className="sr-only" htmlFor={`role-${u.username}`}>
                      Role of {u.username}
                    </label>
                    <select id={`role-${u.username}`} value={u.role} disabled={u.username === me.username} onChange={(e) => patch(u, { role: e.target.value as Role }, `${u.username} is now ${e.target.value}.`)}>
                      {roles.map((r) => (
                        <option key={r.id} value={r.id}>
                          {r.label}
                        </option>
                      ))}
                    </select>
                  </td>
                  <td>{u.disabled ? <Badge tone="red">disabled</Badge> : <Badge tone="green">active</Badge>}</td>
                  <td>{formatDate(u.createdAt)}</td>
                  <td className="actions">
                    <button type="button" className="btn btn-small" onClick={() => setResetFor(u)}>
                      Set password
                    </button>
                    <button type="button" className="btn btn-small" onClick={() => setTokensOf(u.username)}>
                      Tokens
                    </button>
                    {u.username !== me.username && (
                      <button type="button" className="btn btn-small" onClick={() => patch(u, { disabled: !u.disabled }, `${u.username} is ${u.disabled ? 'enabled' : 'disabled'}.`)}>
                        {u.disabled ? 'Enable' : 'Disable'}
                      </button>
                    )}
                    {u.username !== me.username && (
                      <DeleteAction small path={`/users/${seg(u.username)}`} label={`Delete user ${u.username}`} title={`Delete ${u.username}?`} onDone={() => { setMessage(`Deleted ${u.username}.`); users.reload(); }}>
                        <p>
                          <strong>{u.username}</strong> will no longer be able to sign in, push or pull. Their images stay.
                        </p>
                      </DeleteAction>
                    )}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </Card>
      {tokensOf && <UserTokensCard key={tokensOf} username={tokensOf} onClose={() => setTokensOf(undefined)} />}
      <PasswordDialog
        user={resetFor}
        onClose={() => setResetFor(undefined)}
        onSave={async (u, pw) => {
          if (await patch(u, { password: pw }, `Password of ${u.username} changed; their sessions were signed out.`)) setResetFor(undefined);
        }}
      />
    </>
  );
}

function CreateUser({ onCreated }: { onCreated: (u: User) => void }) {
  const [username, setUsername] = useState('');
  const [password, setPassword] = useState('');
  const [role, setRole] = useState<Role>('developer');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<ApiError>();

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setBusy(true);
    setError(undefined);
    try {
      const u = await api<User>('POST', '/users', { username, password, role });
      setUsername('');
      setPassword('');
      onCreated(u);
    } catch (err) {
      setError(err as ApiError);
    } finally {
      setBusy(false);
    }
  };
  const fieldError = (f: string) => (error?.field === f ? error.message.replace(/^body \w+: /, '') : undefined);
  return (
    <Card title="Add a user">
      <form className="form-row" onSubmit={submit}>
        <div className="field">
          <label htmlFor="new-username">User name</label>
          <input id="new-username" required value={username} onChange={(e) => setUsername(e.target.value)} aria-invalid={!!fieldError('username')} aria-describedby="new-username-err" autoComplete="off" />
          <span id="new-username-err" className="field-error">{fieldError('username')}</span>
        </div>
        <div className="field">
          <label htmlFor="new-password">Password</label>
          <input id="new-password" type="password" required value={password} onChange={(e) => setPassword(e.target.value)} aria-invalid={!!fieldError('password')} aria-describedby="new-password-err" autoComplete="new-password" />
          <span id="new-password-err" className="field-error">{fieldError('password') ?? (error ? undefined : 'at least 8 characters')}</span>
        </div>
        <div className="field">
          <label htmlFor="new-role">Role</label>
          <select id="new-role" value={role} onChange={(e) => setRole(e.target.value as Role)}>
            {roles.map((r) => (
              <option key={r.id} value={r.id}>
                {r.label} — {r.help}
              </option>
            ))}
          </select>
          <span className="field-error" />
        </div>
        <div className="field field-button">
          <button type="submit" className="btn btn-primary" disabled={busy}>
            {busy ? 'Adding…' : 'Add user'}
          </button>
          <span className="field-error" />
        </div>
      </form>
      {error && !error.field && (
        <div className="alert alert-error" role="alert">
          {error.message}
        </div>
      )}
    </Card>
  );
}

function PasswordDialog({ user, onClose, onSave }: { user: User | undefined; onClose: () => void; onSave: (u: User, pw: string) => Promise<void> }) {
  const [pw, setPw] = useState('');
  const [busy, setBusy] = useState(false);
  return (
    <ConfirmDialog
      open={user !== undefined}
      title={`New password for ${user?.username ?? ''}`}
      confirmLabel="Set password"
      busy={busy || pw.length < 8}
      onCancel={() => {
        setPw('');
        onClose();
      }}
      onConfirm={async () => {
        if (!user) return;
        setBusy(true);
        await onSave(user, pw);
        setBusy(false);
        setPw('');
      }}
    >
      <div className="field">
        <label htmlFor="reset-password">Password (at least 8 characters)</label>
        <input id="reset-password" type="password" autoComplete="new-password" value={pw} onChange={(e) => setPw(e.target.value)} />
      </div>
    </ConfirmDialog>
  );
}
