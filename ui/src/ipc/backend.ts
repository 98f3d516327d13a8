/**
 * The one door between the UI and the Rust core.
 *
 * Components and state modules talk to a `Backend`, never to Tauri directly: `tauri.ts`
 * implements it over `invoke`/`listen`, `mock.ts` implements it in memory for unit tests
 * and for previewing the UI in a plain browser. A new core command becomes one method
 * here plus one line in each implementation; a new event becomes one variant of `DeskEvent`.
 */
import type { AgentPresence } from './generated/AgentPresence';
import type { AgentView } from './generated/AgentView';
import type { AlertSettings } from './generated/AlertSettings';
import type { AssignmentView } from './generated/AssignmentView';
import type { ClaimResult } from './generated/ClaimResult';
import type { SupervisorWall } from './generated/SupervisorWall';
import type { AppInfo } from './generated/AppInfo';
import type { BlockRequest } from './generated/BlockRequest';
import type { BundleInfo } from './generated/BundleInfo';
import type { ChatMessage } from './generated/ChatMessage';
import type { ConnectionStatus } from './generated/ConnectionStatus';
import type { CredentialsForm } from './generated/CredentialsForm';
import type { ConversationDetail } from './generated/ConversationDetail';
import type { DeskEvent } from './generated/DeskEvent';
import type { DoctorReport } from './generated/DoctorReport';
import type { ExportFormat } from './generated/ExportFormat';
import type { ExportInfo } from './generated/ExportInfo';
import type { PlatformRatesPage } from './generated/PlatformRatesPage';
import type { HistoryPage } from './generated/HistoryPage';
import type { InboxPage } from './generated/InboxPage';
import type { InboxQuery } from './generated/InboxQuery';
import type { PendingCrash } from './generated/PendingCrash';
import type { InstallGate } from './generated/InstallGate';
import type { UpdateStatus } from './generated/UpdateStatus';
import type { PictureFile } from './generated/PictureFile';
import type { QuickReply } from './generated/QuickReply';
import type { ReplyRates } from './generated/ReplyRates';
import type { RobotEdit } from './generated/RobotEdit';
import type { RobotSaveResult } from './generated/RobotSaveResult';
import type { RobotSettings } from './generated/RobotSettings';
import type { StoreIm } from './generated/StoreIm';
import type { FansCouponForm } from './generated/FansCouponForm';
import type { JoinCouponForm } from './generated/JoinCouponForm';
import type { NewFansGroup } from './generated/NewFansGroup';
import type { ReviewContact } from './generated/ReviewContact';
import type { SentFansCoupon } from './generated/SentFansCoupon';
import type { StoreFans } from './generated/StoreFans';
import type { StoreReviews } from './generated/StoreReviews';
import type { RetentionRun } from './generated/RetentionRun';
import type { RetentionSettings } from './generated/RetentionSettings';
import type { RetentionView } from './generated/RetentionView';
import type { SearchHit } from './generated/SearchHit';
import type { SearchQuery } from './generated/SearchQuery';
import type { StoreEntryForm } from './generated/StoreEntryForm';
import type { StoredCredentials } from './generated/StoredCredentials';
import type { StoreSummary } from './generated/StoreSummary';
import type { TeamSettingsForm } from './generated/TeamSettingsForm';
import type { TeamSettingsView } from './generated/TeamSettingsView';

export type { AgentPresence } from './generated/AgentPresence';
export type { CouponStatus } from './generated/CouponStatus';
export type { FansCoupon } from './generated/FansCoupon';
export type { FansCouponForm } from './generated/FansCouponForm';
export type { FansGroupInfo } from './generated/FansGroupInfo';
export type { JoinCouponActivity } from './generated/JoinCouponActivity';
export type { JoinCouponForm } from './generated/JoinCouponForm';
export type { NewFansGroup } from './generated/NewFansGroup';
export type { ReviewContact } from './generated/ReviewContact';
export type { ReviewItem } from './generated/ReviewItem';
export type { SentFansCoupon } from './generated/SentFansCoupon';
export type { StoreFans } from './generated/StoreFans';
export type { StoreReviews } from './generated/StoreReviews';
export type { AgentView } from './generated/AgentView';
export type { AssignmentMode } from './generated/AssignmentMode';
export type { AssignmentView } from './generated/AssignmentView';
export type { ClaimResult } from './generated/ClaimResult';
export type { ConversationTeam } from './generated/ConversationTeam';
export type { SupervisorWall } from './generated/SupervisorWall';
export type { WallAgent } from './generated/WallAgent';
export type { WallPoint } from './generated/WallPoint';
export type { WallQueueItem } from './generated/WallQueueItem';
export type { WallStore } from './generated/WallStore';
export type { AlertSettings } from './generated/AlertSettings';
export type { AppInfo } from './generated/AppInfo';
export type { RetentionRun } from './generated/RetentionRun';
export type { RetentionSettings } from './generated/RetentionSettings';
export type { RetentionView } from './generated/RetentionView';
export type { Author } from './generated/Author';
export type { BlockReason } from './generated/BlockReason';
export type { BlockRequest } from './generated/BlockRequest';
export type { BundleInfo } from './generated/BundleInfo';
export type { PendingCrash } from './generated/PendingCrash';
export type { InstallGate } from './generated/InstallGate';
export type { UpdateRefusal } from './generated/UpdateRefusal';
export type { UpdateStatus } from './generated/UpdateStatus';
export type { CheckFailure } from './generated/CheckFailure';
export type { DoctorReport } from './generated/DoctorReport';
export type { ExportFormat } from './generated/ExportFormat';
export type { ExportInfo } from './generated/ExportInfo';
export type { PlatformRatesPage } from './generated/PlatformRatesPage';
export type { RatePoint } from './generated/RatePoint';
export type { RightGate } from './generated/RightGate';
export type { RightState } from './generated/RightState';
export type { StorePlatformRates } from './generated/StorePlatformRates';
export type { StoreRight } from './generated/StoreRight';
export type { PlatformReply } from './generated/PlatformReply';
export type { ProblemCount } from './generated/ProblemCount';
export type { QuarantineEntry } from './generated/QuarantineEntry';
export type { SocketReport } from './generated/SocketReport';
export type { StoreCheck } from './generated/StoreCheck';
export type { ChatMessage } from './generated/ChatMessage';
export type { ComposeBlock } from './generated/ComposeBlock';
export type { ConnectionStatus } from './generated/ConnectionStatus';
export type { CredentialsForm } from './generated/CredentialsForm';
export type { StoreEntryForm } from './generated/StoreEntryForm';
export type { StoredCredentials } from './generated/StoredCredentials';
export type { TeamSettingsForm } from './generated/TeamSettingsForm';
export type { TeamSettingsView } from './generated/TeamSettingsView';
export type { TeamStatus } from './generated/TeamStatus';
export type { ConversationDetail } from './generated/ConversationDetail';
export type { ConversationKind } from './generated/ConversationKind';
export type { ConversationRow } from './generated/ConversationRow';
export type { ConversationTitle } from './generated/ConversationTitle';
export type { DeskEvent } from './generated/DeskEvent';
export type { ErrorCode } from './generated/ErrorCode';
export type { HistoryPage } from './generated/HistoryPage';
export type { InboxFilter } from './generated/InboxFilter';
export type { InboxPage } from './generated/InboxPage';
export type { InboxQuery } from './generated/InboxQuery';
export type { MessageBody } from './generated/MessageBody';
export type { OrderCard } from './generated/OrderCard';
export type { OrderState } from './generated/OrderState';
export type { PictureFile } from './generated/PictureFile';
export type { QuickReply } from './generated/QuickReply';
export type { ReviewCard } from './generated/ReviewCard';
export type { ReplyRates } from './generated/ReplyRates';
export type { RobotEdit } from './generated/RobotEdit';
export type { RobotSaveResult } from './generated/RobotSaveResult';
export type { RobotScene } from './generated/RobotScene';
export type { RobotSettings } from './generated/RobotSettings';
export type { RobotSwitch } from './generated/RobotSwitch';
export type { RobotText } from './generated/RobotText';
export type { StoreIm } from './generated/StoreIm';
export type { SearchHit } from './generated/SearchHit';
export type { SearchQuery } from './generated/SearchQuery';
export type { SendState } from './generated/SendState';
export type { SocketState } from './generated/SocketState';
export type { StoreSummary } from './generated/StoreSummary';
export type { TimeRange } from './generated/TimeRange';
export type { TokenHealth } from './generated/TokenHealth';
export type { Unseen } from './generated/Unseen';

/** The single Tauri event name that carries every `DeskEvent`. */
export const DESK_EVENT = 'desk://event';
/** The Tauri event name the shell emits each new `UpdateStatus` on. */
export const UPDATE_EVENT = 'update-status';

/** Stops a subscription. Safe to call more than once. */
export type Unsubscribe = () => void;

/**
 * The error shape that crosses IPC: `code` normally comes from the closed `ErrorCode` enum,
 * `message` is a developer-facing English sentence. Typed loosely (string) because Tauri itself
 * can reject with other shapes, which `tauri.ts` normalises to `internal`.
 */
export type IpcError = { code: string; message: string };

/** True when `value` has the `{ code, message }` shape of an IPC error. */
export function isIpcError(value: unknown): value is IpcError {
  if (typeof value !== 'object' || value === null) return false;
  const candidate = value as Record<string, unknown>;
  return typeof candidate.code === 'string' && typeof candidate.message === 'string';
}

/** Everything the UI can ask of, or hear from, the core. One method per Tauri command. */
export interface Backend {
  /** `app_info`: version, data directory and whether the app runs on the demo sandbox. */
  appInfo(): Promise<AppInfo>;
  /**
   * `first_inbox_page_shown`: the first inbox page is painted. The engine's deferred start-up
   * work (restoring the alert clocks) waits for it; it is also the GUI benchmark's marker
   * (`scripts/bench-gui.sh`, printed only when started with `IMDESK_BENCH_MARKS=1`).
   */
  firstInboxPageShown(): Promise<void>;
  /** `list_stores`: the brand's stores with their counters. */
  listStores(): Promise<StoreSummary[]>;
  /** `inbox_page`: one window of the deadline-ordered inbox. */
  inboxPage(query: InboxQuery): Promise<InboxPage>;
  /** `conversation_history`: messages before `before` (newest page when null), oldest first. */
  conversationHistory(conversationId: string, before: string | null, limit: number): Promise<HistoryPage>;
  /** `conversation_detail`: header row, compose block, order card, review and draft. */
  conversationDetail(conversationId: string): Promise<ConversationDetail>;
  /** `send_text`: durable in the outbox when it resolves; state changes arrive as events. */
  sendText(conversationId: string, text: string): Promise<ChatMessage>;
  /**
   * `send_image`: durable in the outbox when it resolves. The bubble has `body: 'image'` and
   * `text: null` until the picture is uploaded; then `text` is its URL. Refused with `badImage`
   * (not PNG/JPEG or over 2 MiB) and `unsupported` (the store's integration cannot upload).
   */
  sendImage(conversationId: string, file: PictureFile): Promise<ChatMessage>;
  /** `block_customer`: uploads the 1–9 evidence pictures and blocks on the platform; waited for. */
  blockCustomer(conversationId: string, request: BlockRequest): Promise<null>;
  /** `unblock_customer`: lifts the block on the platform, then locally. */
  unblockCustomer(conversationId: string): Promise<null>;
  /**
   * `retry_send`: queue a failed message again; for a held one (team mode) this is the agent's
   * confirmation after reading what was new. Refused for an uncertain one (it may have arrived).
   */
  retrySend(messageKey: string): Promise<ChatMessage>;
  /** `mark_read`: tell the platform the agent has read the conversation (msgRead). */
  markRead(conversationId: string): Promise<null>;
  /** `search_messages`: the local cache across stores, newest first. */
  searchMessages(query: SearchQuery): Promise<SearchHit[]>;
  /** `list_quick_replies`: the brand's quick replies plus those of `store` when given. */
  listQuickReplies(store: string | null): Promise<QuickReply[]>;
  /** `save_quick_reply`: id 0 creates. */
  saveQuickReply(reply: QuickReply): Promise<QuickReply>;
  /** `delete_quick_reply`. */
  deleteQuickReply(id: number): Promise<null>;
  /** `set_draft`: keep the composer text across switches and restarts. */
  setDraft(conversationId: string, text: string): Promise<null>;
  /** `connection_status`: the push sockets' health. */
  connectionStatus(): Promise<ConnectionStatus>;
  /**
   * `connection_doctor` (连接诊断): checks every store's token with a harmless read, and reports
   * the push sockets, the imSecret's age, clock skew, failed platform replies and quarantined
   * frames. Never carries a secret or message text.
   */
  connectionDoctor(): Promise<DoctorReport>;
  /** `diagnostic_bundle`: zips the report and the redacted log into the data directory. */
  diagnosticBundle(): Promise<BundleInfo>;
  /** `export_conversation`: one conversation into `<data dir>/exports` (path null: nothing to export). */
  exportConversation(conversationId: string, format: ExportFormat): Promise<ExportInfo>;
  /**
   * `export_store_range`: a store's messages of the local days `from`..=`to` (YYYY-MM-DD, both
   * included) into `<data dir>/exports`; `invalid` when a day is malformed or `from` is after `to`.
   */
  exportStoreRange(store: string, from: string, to: string, format: ExportFormat): Promise<ExportInfo>;
  /** `export_day_report`: one local day's report (per store: customers, replies, rates) as CSV. */
  exportDayReport(day: string): Promise<ExportInfo>;
  /** `platform_rates` (平台回复率与权益): the platform's figures beside ours, rights, 30 days. */
  platformRates(): Promise<PlatformRatesPage>;
  /** `refresh_platform_rates`: fetches every store's figures now, then the page. */
  refreshPlatformRates(): Promise<PlatformRatesPage>;
  /** `reply_rates`: the brand (store null) and each store. */
  replyRates(): Promise<ReplyRates[]>;
  /** `get_alert_settings`. */
  getAlertSettings(): Promise<AlertSettings>;
  /** `set_alert_settings`. */
  setAlertSettings(settings: AlertSettings): Promise<null>;
  /** `set_store_muted`: mute non-urgent alerts of one store. */
  setStoreMuted(store: string, muted: boolean): Promise<null>;
  /** `store_im`: the store's IM switch, read from the platform now (a failed read is in `error`). */
  storeIm(store: string): Promise<StoreIm>;
  /** `set_store_im`: turns the store's IM on or off (after the agent confirmed), read back. */
  setStoreIm(store: string, open: boolean): Promise<StoreIm>;
  /** `robot_settings`: the store's auto-reply robot as the platform holds it. */
  robotSettings(store: string): Promise<RobotSettings>;
  /**
   * `save_robot_settings`: one edit saved on each of `stores`, with a result per store. Refused
   * whole (`textTooLong`, `invalid`) before anything is sent when no store could take it.
   */
  saveRobotSettings(stores: string[], edit: RobotEdit): Promise<RobotSaveResult[]>;
  /** `store_reviews`: the store's reviews of the last `days` days and its review-contact right. */
  storeReviews(store: string, days: number | null): Promise<StoreReviews>;
  /**
   * `start_review_contact`: a review-contact group on one review, its conversation in the inbox
   * (`created: false` when the review had one already). `rightLocked` when the store lacks the right.
   */
  startReviewContact(store: string, commentId: string): Promise<ReviewContact>;
  /** `store_fans`: the store's fans groups, join-group coupons, coupons and this month's quota. */
  storeFans(store: string): Promise<StoreFans>;
  /** `create_fans_group` (supervisors, after confirming): `duplicate`, `rightLocked`, `invalid`. */
  createFansGroup(store: string, group: NewFansGroup): Promise<StoreFans>;
  /** `start_join_coupon` (supervisors, after confirming): a join-group coupon in a fans group. */
  startJoinCoupon(store: string, groupId: string, coupon: JoinCouponForm): Promise<StoreFans>;
  /** `send_fans_coupon` (supervisors, after confirming): `inPast`, `rightLocked` (no quota), `invalid`. */
  sendFansCoupon(store: string, coupon: FansCouponForm): Promise<SentFansCoupon>;
  /**
   * `pause_alerts`: silence non-urgent notifications for `minutes` (null resumes them); resolves
   * to the end of the pause (UTC ms) or null. Urgent alerts still come.
   */
  pauseAlerts(minutes: number | null): Promise<number | null>;
  /** `alerts_paused_until`: the end of the pause in force, or null. */
  alertsPausedUntil(): Promise<number | null>;
  /**
   * `save_credentials`: secrets to the OS keyring, the rest to the config file; they apply at
   * the next start. Nothing secret is ever read back.
   */
  saveCredentials(form: CredentialsForm): Promise<null>;
  /**
   * `get_team_settings`: whether a team server URL (password masked) and NATS credentials are
   * stored, the agent's name, and the team this window is a desk of now.
   */
  getTeamSettings(): Promise<TeamSettingsView>;
  /**
   * `save_team_settings`: URL and credentials to the OS keyring, the agent's name to the config
   * file; they apply at the next start. Resolves with what is stored now (nothing secret).
   */
  saveTeamSettings(form: TeamSettingsForm): Promise<TeamSettingsView>;
  /** `clear_team_settings`: leaves team mode at the next start. */
  clearTeamSettings(): Promise<TeamSettingsView>;
  /** `set_ui_language`: notifications are written by Rust in the language the UI shows. */
  setUiLanguage(code: string): Promise<null>;
  /** `pending_crash_report`: the newest crash report of an earlier run not yet dismissed. */
  pendingCrashReport(): Promise<PendingCrash | null>;
  /** `dismiss_crash_report`: marks that report seen (忽略); the file stays for support. */
  dismissCrashReport(file: string): Promise<null>;
  /** `update_status`: what the updater has found (idle, downloading, ready, refused). */
  updateStatus(): Promise<UpdateStatus>;
  /**
   * `install_update`: installs the verified update and restarts, unless a peak is running or
   * the agent is `replying`; then the gate says which.
   */
  installUpdate(replying: boolean): Promise<InstallGate>;
  /** `retention_settings`: 数据保留 settings and the last pruning run. */
  retentionSettings(): Promise<RetentionView>;
  /** `set_retention_settings`: saves the retention days; the next daily run applies them. */
  setRetentionSettings(settings: RetentionSettings): Promise<RetentionView>;
  /** `prune_now`: prunes what is past its retention now (`disk_full` on a full disk). */
  pruneNow(): Promise<RetentionRun>;
  /** `forget_customer`: deletes everything of a two-party conversation's customer. */
  forgetCustomer(conversationId: string): Promise<null>;
  /** `wipe_desk`: deletes the keyring entries and quits; the data directory goes at exit. */
  wipeDesk(): Promise<null>;
  /** `stored_credentials`: the stored developerId and stores, and which secrets are kept (never one). */
  storedCredentials(): Promise<StoredCredentials>;
  /** `export_desk_config`: this desk's configuration without a secret, into the exports folder; its path. */
  exportDeskConfig(): Promise<string>;
  /** `import_desk_config`: another desk's exported configuration (the file's text); refused whole with a secret in it. */
  importDeskConfig(text: string): Promise<null>;
  /** `parse_store_csv`: a brand's store list from a CSV file's text, tokens left blank. */
  parseStoreCsv(text: string): Promise<StoreEntryForm[]>;
  /** `claim_conversation` (认领, team mode): first claim wins; resolves with the owner after. */
  claimConversation(conversationId: string): Promise<ClaimResult>;
  /**
   * `transfer_conversation` (team mode): to an agent, or back to the queue (`to` null), against
   * the owner record's `revision` shown (`conflict` when it changed meanwhile).
   */
  transferConversation(conversationId: string, to: string | null, revision: number | null): Promise<ClaimResult>;
  /** `set_agent_status` (team mode): online, busy (no new assignments) or away. */
  setAgentStatus(status: AgentPresence): Promise<null>;
  /** `set_presence` (team mode): the conversation on screen and the one typed in. */
  setPresence(viewing: string | null, typing: string | null): Promise<null>;
  /** `list_agents` (team mode): agents with presence and open conversations. */
  listAgents(): Promise<AgentView[]>;
  /** `assignment_settings` (team mode): the brand's mode and grace period. */
  assignmentSettings(): Promise<AssignmentView>;
  /** `set_assignment_settings` (supervisors): `conflict` when another supervisor changed them. */
  setAssignmentSettings(settings: AssignmentView): Promise<AssignmentView>;
  /** `save_shared_quick_reply` (supervisors): the brand's shared 常用语; id null creates. */
  saveSharedQuickReply(id: string | null, title: string, text: string): Promise<QuickReply>;
  /** `delete_shared_quick_reply` (supervisors). */
  deleteSharedQuickReply(id: string): Promise<null>;
  /** `supervisor_wall` (主管看板): agents, stores, the queue and today's chart. */
  supervisorWall(): Promise<SupervisorWall>;

  /**
   * Subscribe to core events. Returns synchronously so it can be the cleanup of a Svelte
   * `$effect`; events arriving after `unsubscribe()` are never delivered.
   */
  onEvent(handler: (event: DeskEvent) => void): Unsubscribe;
  /** Subscribe to the updater's status changes; returns synchronously, like `onEvent`. */
  onUpdateStatus(handler: (status: UpdateStatus) => void): Unsubscribe;
}
