// Shared UI pieces: router, offline banner, errors, fields.
import { ComponentChildren } from 'preact';
import { useEffect, useState, useCallback } from 'preact/hooks';
import { ApiError, NetworkError } from './api';
import { subscribe, syncState, SyncState } from './sync';
import { dateTime } from './format';

export function useHash(): string {
  const [hash, setHash] = useState(location.hash || '#/');
  useEffect(() => {
    const f = () => setHash(location.hash || '#/');
    window.addEventListener('hashchange', f);
    return () => window.removeEventListener('hashchange', f);
  }, []);
  return hash;
}

export function go(hash: string): void {
  if (location.hash !== hash) location.hash = hash;
}

export function useSync(): SyncState {
  const [s, set] = useState(syncState());
  useEffect(() => subscribe(() => set(syncState())), []);
  return s;
}

/** Runs an async loader, re-running it on `refresh()` and when `deps` change. */
export function useLoad<T>(loader: () => Promise<T>, deps: unknown[] = []) {
  const [data, setData] = useState<T | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [loading, setLoading] = useState(true);
  const [tick, setTick] = useState(0);
  useEffect(() => {
    let live = true;
    setLoading(true);
    loader()
      .then((d) => live && (setData(d), setError(null)))
      .catch((e) => live && setError(e))
      .finally(() => live && setLoading(false));
    return () => {
      live = false;
    };
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [tick, ...deps]);
  const refresh = useCallback(() => setTick((t) => t + 1), []);
  return { data, error, loading, refresh };
}

export function errorText(e: unknown): string {
  if (e instanceof NetworkError) return 'Serveur injoignable. Vérifiez votre connexion.';
  if (e instanceof ApiError) return e.message;
  if (e instanceof Error) return e.message;
  return 'Une erreur est survenue.';
}

export function ErrorBox({ error }: { error: unknown }) {
  if (!error) return null;
  return (
    <p class="error" role="alert">
      {errorText(error)}
    </p>
  );
}

export function OfflineBanner({ onRefresh }: { onRefresh?: () => void }) {
  const s = useSync();
  return (
    <div class="syncbar" aria-live="polite">
      {!s.online || s.staleSince ? (
        <span class="offline" data-testid="offline-banner">
          Hors ligne{s.staleSince ? ` — données du ${dateTime(s.staleSince)}` : ''}
        </span>
      ) : s.syncing ? (
        <span>Synchronisation…</span>
      ) : s.lastSync ? (
        <span>À jour ({dateTime(s.lastSync)})</span>
      ) : (
        <span />
      )}
      {onRefresh && (
        <button type="button" class="link" onClick={onRefresh} aria-label="Actualiser">
          ↻ Actualiser
        </button>
      )}
    </div>
  );
}

/** Pull-to-refresh on touch screens (and the button in the banner elsewhere). */
export function usePullToRefresh(onRefresh: () => void): void {
  useEffect(() => {
    let startY: number | null = null;
    const down = (e: TouchEvent) => {
      startY = window.scrollY === 0 ? e.touches[0].clientY : null;
    };
    const up = (e: TouchEvent) => {
      if (startY !== null && e.changedTouches[0].clientY - startY > 90) onRefresh();
      startY = null;
    };
    window.addEventListener('touchstart', down, { passive: true });
    window.addEventListener('touchend', up);
    return () => {
      window.removeEventListener('touchstart', down);
      window.removeEventListener('touchend', up);
    };
  }, [onRefresh]);
}

export function Field(props: {
  id: string;
  label: string;
  error?: string | null;
  hint?: string;
  children: ComponentChildren;
}) {
  return (
    <div class={`field${props.error ? ' has-error' : ''}`}>
      <label for={props.id}>{props.label}</label>
      {props.hint && (
        <small id={`${props.id}-hint`} class="hint">
          {props.hint}
        </small>
      )}
      {props.children}
      {props.error && (
        <small id={`${props.id}-error`} class="field-error" role="alert">
          {props.error}
        </small>
      )}
    </div>
  );
}

export interface Tab { hash: string; label: string; icon: string }

export function Layout(props: { title: string; tabs: Tab[]; current: string; onLogout: () => void; wide?: boolean; children: ComponentChildren }) {
  // `wide`: a desk used on a computer (établissement, Région).
  return (
    <div class={props.wide ? 'layout wide' : 'layout'}>
      <header class="topbar">
        <h1>
          <span class="logo" aria-hidden="true">◆</span> {props.title}
        </h1>
        <span class="topbar-actions">
          <a class="light" href="#/aide">
            Aide
          </a>
          <button type="button" class="link light" onClick={props.onLogout}>
            Déconnexion
          </button>
        </span>
      </header>
      <main id="main">{props.children}</main>
      {props.tabs.length > 1 && (
        <nav class="tabs" aria-label="Navigation principale">
          {props.tabs.map((t) => (
            <a href={t.hash} class={props.current === t.hash ? 'active' : ''} aria-current={props.current === t.hash ? 'page' : undefined}>
              <span aria-hidden="true">{t.icon}</span>
              {t.label}
            </a>
          ))}
        </nav>
      )}
    </div>
  );
}
