import { createContext, useContext } from 'react';
import type { SystemInfo, User } from '../api/types';

export interface SessionState {
  user: User;
  system: SystemInfo | undefined;
  signOut: () => void;
  can: { write: boolean; admin: boolean };
}

export const SessionContext = createContext<SessionState | null>(null);

export function useSession(): SessionState {
  const s = useContext(SessionContext);
  if (!s) throw new Error('useSession outside a signed-in page');
  return s;
}
