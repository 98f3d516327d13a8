/**
 * The composer's text for the open conversation, saved through `set_draft` half a second after
 * the last keystroke and at once when the agent switches away, so drafts survive switching
 * conversations and restarting the app.
 */
import type { Backend } from '../../ipc/backend';

export const DRAFT_DELAY_MS = 500;

export class DraftKeeper {
  text = $state('');
  #id: string | null = null;
  #timer: ReturnType<typeof setTimeout> | undefined;
  #pending = false;
  readonly #backend: Backend;

  constructor(backend: Backend) {
    this.#backend = backend;
  }

  get conversationId(): string | null {
    return this.#id;
  }

  /** Switches to another conversation's saved draft, saving the previous one first. */
  load(id: string, saved: string): void {
    this.flush();
    this.#id = id;
    this.text = saved;
  }

  input(text: string): void {
    this.text = text;
    this.#pending = true;
    clearTimeout(this.#timer);
    this.#timer = setTimeout(() => this.flush(), DRAFT_DELAY_MS);
  }

  flush(): void {
    clearTimeout(this.#timer);
    if (!this.#pending || this.#id === null) return;
    this.#pending = false;
    this.#backend.setDraft(this.#id, this.text).catch(() => undefined);
  }

  /** The text went out: the draft is empty now. */
  sent(): void {
    this.text = '';
    this.#pending = true;
    this.flush();
  }
}
