/**
 * Team mode on this desk: whether it is a team desk and a supervisor (from the status line),
 * the agents, this agent's status, and what this desk tells colleagues (the conversation on
 * screen, typing). Ownership itself is part of each conversation's detail and row.
 */
import type { AgentPresence, AgentView, Backend, SupervisorWall } from '../../ipc/backend';
import type { StatusState } from '../statusbar/status.svelte';

/** Typing is reported at most this often while keys keep coming. */
const TYPING_EVERY_MS = 2_000;
/** Typing stops counting this long after the last keystroke. */
const TYPING_STOPS_MS = 5_000;

export class TeamState {
  agents = $state.raw<AgentView[]>([]);
  myStatus = $state<AgentPresence>('online');
  wallOpen = $state(false);
  wall = $state.raw<SupervisorWall | null>(null);
  error = $state<unknown>(null);

  readonly #backend: Backend;
  readonly #status: StatusState;
  #viewing: string | null = null;
  #typingSent = 0;
  #typingTimer: ReturnType<typeof setTimeout> | null = null;

  constructor(backend: Backend, status: StatusState) {
    this.#backend = backend;
    this.#status = status;
  }

  /** This window is a team desk. */
  get active(): boolean {
    return Boolean(this.#status.connection?.team);
  }

  /** This desk's agent is a supervisor (客服主管). */
  get supervisor(): boolean {
    return this.#status.connection?.team?.supervisor === true;
  }

  get me(): string | null {
    return this.#status.connection?.team?.agent ?? null;
  }

  async loadAgents(): Promise<void> {
    if (!this.active) return;
    try {
      this.agents = await this.#backend.listAgents();
    } catch (error) {
      this.error = error;
    }
  }

  async setStatus(status: AgentPresence): Promise<void> {
    this.error = null;
    try {
      await this.#backend.setAgentStatus(status);
      this.myStatus = status;
    } catch (error) {
      this.error = error;
    }
  }

  /** The conversation now on screen (null: none). */
  viewing(id: string | null): void {
    if (!this.active || id === this.#viewing) return;
    this.#viewing = id;
    this.#clearTyping();
    void this.#backend.setPresence(id, null).catch(() => {});
  }

  /** A keystroke in the composer of the conversation on screen. */
  typed(): void {
    if (!this.active || this.#viewing === null) return;
    const now = Date.now();
    if (now - this.#typingSent >= TYPING_EVERY_MS) {
      this.#typingSent = now;
      void this.#backend.setPresence(this.#viewing, this.#viewing).catch(() => {});
    }
    if (this.#typingTimer) clearTimeout(this.#typingTimer);
    this.#typingTimer = setTimeout(() => this.stoppedTyping(), TYPING_STOPS_MS);
  }

  /** Sent, cleared or idle: no longer typing. */
  stoppedTyping(): void {
    if (this.#typingSent === 0) return;
    this.#clearTyping();
    void this.#backend.setPresence(this.#viewing, null).catch(() => {});
  }

  #clearTyping(): void {
    this.#typingSent = 0;
    if (this.#typingTimer) clearTimeout(this.#typingTimer);
    this.#typingTimer = null;
  }

  async openWall(): Promise<void> {
    this.wallOpen = true;
    await this.refreshWall();
  }

  async refreshWall(): Promise<void> {
    if (!this.wallOpen) return;
    try {
      this.wall = await this.#backend.supervisorWall();
      this.error = null;
    } catch (error) {
      this.error = error;
    }
  }
}
