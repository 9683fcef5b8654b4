import { render } from 'preact';
import { isTauri } from '@tauri-apps/api/core';
import { App } from './app';
import './styles.css';

render(<App />, document.getElementById('app')!);

// Web build: keep the app shell for offline use (Tauri embeds its assets).
if (import.meta.env.PROD && !isTauri() && 'serviceWorker' in navigator && location.protocol.startsWith('http')) {
  navigator.serviceWorker.register('./sw.js').catch(() => undefined);
}
