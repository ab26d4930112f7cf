import { useState, type ReactNode } from 'react';
import { api, ApiError } from '../api/client';
import { ConfirmDialog } from './ui';
import { icons } from './Icons';

/** A delete button that asks first; `path` is the API path to DELETE. */
export function DeleteAction({ path, label, title, children, onDone, small }: { path: string; label: string; title: string; children: ReactNode; onDone: () => void; small?: boolean }) {
  const [open, setOpen] = useState(false);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string>();
  const confirm = async () => {
    setBusy(true);
    setError(undefined);
    try {
      await api('DELETE', path);
      setOpen(false);
      onDone();
    } catch (e) {
      setError((e as ApiError).message);
    } finally {
      setBusy(false);
    }
  };
  return (
    <>
      <button type="button" className={`btn btn-danger-ghost ${small ? 'btn-small' : ''}`} onClick={() => setOpen(true)} aria-label={label}>
        {icons.trash} {small ? null : label}
      </button>
      <ConfirmDialog open={open} title={title} confirmLabel={label} busy={busy} error={error} onConfirm={confirm} onCancel={() => { setOpen(false); setError(undefined); }}>
        {children}
      </ConfirmDialog>
    </>
  );
}
