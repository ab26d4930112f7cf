import { useCallback, useEffect, useState } from 'react';

/**
 * Light and dark theme. Without a choice the GUI follows the system setting (CSS `color-scheme: light dark`
 * with light-dark() colours, so it is right before any script runs). The toggle pins a theme on <html
 * data-theme> and remembers it in this browser's localStorage; choosing the theme the system already asks for
 * forgets the choice, so the GUI follows the system again.
 */
export type Theme = 'light' | 'dark';

export const THEME_KEY = 'berth.theme';
const darkQuery = '(prefers-color-scheme: dark)';

export function storedTheme(): Theme | undefined {
  try {
    const v = window.localStorage.getItem(THEME_KEY);
    return v === 'light' || v === 'dark' ? v : undefined;
  } catch {
    return undefined; // storage disabled: follow the system
  }
}

export function applyTheme(t: Theme | undefined): void {
  if (t) document.documentElement.dataset.theme = t;
  else delete document.documentElement.dataset.theme;
}

function systemTheme(): Theme {
  return window.matchMedia(darkQuery).matches ? 'dark' : 'light';
}

export function useTheme(): { theme: Theme; toggle: () => void } {
  const [system, setSystem] = useState<Theme>(systemTheme);
  const [chosen, setChosen] = useState<Theme | undefined>(storedTheme);
  useEffect(() => {
    const mq = window.matchMedia(darkQuery);
    const onChange = () => setSystem(mq.matches ? 'dark' : 'light');
    mq.addEventListener('change', onChange);
    return () => mq.removeEventListener('change', onChange);
  }, []);
  const theme = chosen ?? system;
  const toggle = useCallback(() => {
    const next: Theme = theme === 'dark' ? 'light' : 'dark';
    const keep = next === system ? undefined : next;
    try {
      if (keep) window.localStorage.setItem(THEME_KEY, keep);
      else window.localStorage.removeItem(THEME_KEY);
    } catch {
      // storage disabled: the choice lasts for this page only
    }
    applyTheme(keep);
    setChosen(keep);
  }, [theme, system]);
  return { theme, toggle };
}
