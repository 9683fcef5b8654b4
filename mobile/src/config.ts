// Runtime configuration. Web build: same origin as the server (relative `/api`).
// Tauri build: set VITE_API_BASE at build time, or `pr.apiBase` in localStorage
// (editable on the login screen).

const env = import.meta.env as Record<string, string | undefined>;

export function apiBase(): string {
  const stored = localStorage.getItem('pr.apiBase');
  const base = stored || env.VITE_API_BASE || '';
  return base.replace(/\/+$/, '');
}

export function setApiBase(url: string): void {
  if (url.trim()) localStorage.setItem('pr.apiBase', url.trim());
  else localStorage.removeItem('pr.apiBase');
}

/** Map tiles (no internet here: the map shows a fallback background when tiles fail). */
export function tileUrl(): string {
  return (
    localStorage.getItem('pr.tileUrl') ||
    env.VITE_TILE_URL ||
    'https://tile.openstreetmap.org/{z}/{x}/{y}.png'
  );
}

/** Lyon, when geolocation is refused or unavailable. */
export const DEFAULT_POSITION = { lat: 45.764, lng: 4.8357 };
