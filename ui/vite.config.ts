import { svelte } from '@sveltejs/vite-plugin-svelte';
import { svelteTesting } from '@testing-library/svelte/vite';
import { defineConfig } from 'vitest/config';

// The Tauri shell serves `ui/dist` (see src-tauri/tauri.conf.json `frontendDist`).
export default defineConfig({
  plugins: [svelte(), svelteTesting()],
  // Keep Tauri's Rust output visible when both run in one terminal.
  clearScreen: false,
  server: { port: 1420, strictPort: true },
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    // WebView2 and WebKitGTK 2.40+ both handle ES2022; Svelte 5 output needs it.
    target: 'es2022',
  },
  test: {
    // Pure modules test in plain Node; files that need a DOM say `@vitest-environment jsdom`
    // in their first comment (starting jsdom costs seconds per file on a busy 2-core runner).
    environment: 'node',
    include: ['src/**/*.test.ts'],
    setupFiles: ['src/test/setup.ts'],
    restoreMocks: true,
  },
});
