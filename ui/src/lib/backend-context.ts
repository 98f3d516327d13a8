/**
 * Hands the window's `Backend` to any component below `App` without a global: `App` sets it
 * once, features read it with `getBackend()`; tests render `App` with a `MockBackend`.
 */
import { createContext } from 'svelte';
import type { Backend } from '../ipc/backend';

export const [getBackend, setBackend] = createContext<Backend>();
