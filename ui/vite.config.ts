import { svelte } from '@sveltejs/vite-plugin-svelte';
import { svelteTesting } from '@testing-library/svelte/vite';
import type { Plugin } from 'vite';
import { defineConfig } from 'vitest/config';

/**
 * The app's bundle must not carry the mock backend or its demo brand (they serve the browser
 * preview and unit tests): fail the production build if any of it got in.
 */
function noMockInApp(): Plugin {
  return {
    name: 'imdesk-no-mock-in-app',
    apply: (_, env) => env.mode === 'production',
    generateBundle(_, bundle) {
      for (const [file, output] of Object.entries(bundle)) {
        const code = output.type === 'chunk' ? output.code : String(output.source);
        const mock = output.type === 'chunk' ? Object.keys(output.modules).find((id) => id.includes('/src/ipc/mock/')) : undefined;
        if (mock || code.includes('通州万达店')) this.error(`${file} contains the mock backend or demo brand (${mock ?? 'a demo store name'})`);
      }
    },
  };
}

// The Tauri shell serves `ui/dist` (see src-tauri/tauri.conf.json `frontendDist`).
export default defineConfig({
  plugins: [svelte(), svelteTesting(), noMockInApp()],
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
