/** A short outcome message under a form: saved, or what went wrong. */
export type Notice = { ok: boolean; text: string } | undefined;

export function NoticeBox({ notice }: { notice: Notice }) {
  if (!notice) return null;
  return (
    <div className={`alert ${notice.ok ? 'alert-ok' : 'alert-error'}`} role={notice.ok ? 'status' : 'alert'}>
      {notice.text}
    </div>
  );
}
