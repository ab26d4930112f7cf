import { useCallback, useEffect, useRef, useState } from 'react';
import { ApiError, get } from '../api/client';

export interface Loadable<T> {
  data: T | undefined;
  error: ApiError | undefined;
  loading: boolean;
  reload: () => void;
}

/** GETs a path, tracking loading and error state; reload() fetches again without clearing what is shown. */
export function useApi<T>(path: string | null): Loadable<T> {
  const [data, setData] = useState<T>();
  const [error, setError] = useState<ApiError>();
  const [loading, setLoading] = useState(path !== null);
  const [tick, setTick] = useState(0);
  const current = useRef(path);
  current.current = path;
  useEffect(() => {
    if (path === null) return;
    let cancelled = false;
    setLoading(true);
    get<T>(path).then(
      (d) => {
        if (cancelled) return;
        setData(d);
        setError(undefined);
        setLoading(false);
      },
      (e: unknown) => {
        if (cancelled) return;
        setError(e instanceof ApiError ? e : new ApiError(0, 'unknown', String(e)));
        setLoading(false);
      },
    );
    return () => {
      cancelled = true;
    };
  }, [path, tick]);
  const reload = useCallback(() => setTick((t) => t + 1), []);
  return { data, error, loading, reload };
}

/** Calls `onEvent` for server-sent events of the given types (live activity, GC, transfers …). */
export function useServerEvents(types: string[], onEvent: (type: string, data: unknown) => void): void {
  const handler = useRef(onEvent);
  handler.current = onEvent;
  const key = types.join(',');
  useEffect(() => {
    if (typeof EventSource === 'undefined') return;
    const es = new EventSource('/api/v1/events');
    const listeners = key.split(',').map((t) => {
      const l = (e: MessageEvent<string>) => {
        let data: unknown;
        try {
          data = JSON.parse(e.data);
        } catch {
          data = undefined;
        }
        handler.current(t, data);
      };
      es.addEventListener(t, l);
      return [t, l] as const;
    });
    return () => {
      for (const [t, l] of listeners) es.removeEventListener(t, l);
      es.close();
    };
  }, [key]);
}
