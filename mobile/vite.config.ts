import { defineConfig } from 'vite';

// The same build is served by the PASS'Région server (`--web-dir mobile/dist`)
// and embedded in the Tauri shell (`src-tauri`).
export default defineConfig({
  base: './',
  build: { outDir: 'dist', target: 'es2022', sourcemap: false },
  server: {
    port: 5173,
    strictPort: true,
    proxy: { '/api': 'http://127.0.0.1:8080', '/health': 'http://127.0.0.1:8080' },
  },
});
