import { vitePreprocess } from '@sveltejs/vite-plugin-svelte';

/** TypeScript in `<script lang="ts">`, read by both Vite and svelte-check. */
export default {
  preprocess: vitePreprocess(),
};
