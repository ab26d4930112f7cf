import type { AccessToken } from '../api/types';
import { seg } from '../api/client';
import { useApi } from './useApi';
import { Card, ErrorBox, Loading } from './ui';
import { DeleteAction } from './DeleteAction';
import { formatDate } from './format';

/** An admin's view of one user's access tokens: what they have issued, and revoking a leaked one. */
export function UserTokensCard({ username, onClose }: { username: string; onClose: () => void }) {
  const tokens = useApi<{ items: AccessToken[] }>(`/users/${seg(username)}/tokens`);
  return (
    <Card
      title={`Access tokens of ${username}`}
      actions={
        <button type="button" className="btn btn-small" onClick={onClose}>
          Close
        </button>
      }
    >
      {tokens.error && <ErrorBox error={tokens.error} onRetry={tokens.reload} />}
      {!tokens.data && tokens.loading && <Loading />}
      {tokens.data && tokens.data.items.length === 0 && <p className="muted pad">{username} has no access tokens.</p>}
      {tokens.data && tokens.data.items.length > 0 && (
        <table className="table" aria-label={`Access tokens of ${username}`}>
          <thead>
            <tr>
              <th scope="col">Name</th>
              <th scope="col">Created</th>
              <th scope="col">Expires</th>
              <th scope="col">Last used</th>
              <th scope="col">
                <span className="sr-only">Actions</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {tokens.data.items.map((t) => (
              <tr key={t.id}>
                <td className="strong">{t.name}</td>
                <td>{formatDate(t.createdAt)}</td>
                <td>{t.expiresAt === null ? 'never' : formatDate(t.expiresAt)}</td>
                <td>{t.lastUsedAt === null ? 'never' : formatDate(t.lastUsedAt)}</td>
                <td className="actions">
                  <DeleteAction small path={`/users/${seg(username)}/tokens/${t.id}`} label={`Revoke token ${t.name}`} title={`Revoke ${t.name}?`} onDone={tokens.reload}>
                    <p>
                      Anything using <strong>{t.name}</strong> of {username} (CI jobs, docker logins) stops working at once.
                    </p>
                  </DeleteAction>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </Card>
  );
}
