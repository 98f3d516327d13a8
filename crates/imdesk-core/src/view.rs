//! What the front doors show: the view models that cross IPC to the web UI.
//!
//! These types are the contract between the engine and the UI. The shell generates their
//! TypeScript twins into `ui/src/ipc/generated/` (never hand-edited; a test fails on drift).
//! Rules: field names are camelCase; 64-bit ids travel as decimal strings, because a
//! JavaScript number silently corrupts ids above 2^53 (protocol §4.3); times are UTC
//! milliseconds as `number` (exact up to year 287396); money is in fen (integer cents).

use serde::{Deserialize, Serialize};
use ts_rs::TS;

/// What the window shows about the running app: proves the typed IPC path end to end.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct AppInfo {
    /// The app version.
    pub version: String,
    /// Where the SQLite cache and logs live.
    pub data_dir: String,
    /// True when no credentials are configured and an in-process sandbox serves a demo brand.
    pub demo: bool,
}

/// A conversation's stable id: `"{epoiId}|{bizType}|{peer}"` where peer is the customer's
/// open_user_id (two-party) or the group_id (groups). Opaque to the UI.
pub type ConversationId = String;

/// Which kind of chat a conversation is (biz_type).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub enum ConversationKind {
    /// biz_type 1: merchant and customer (两方会话).
    TwoParty,
    /// biz_type 4: anonymous group about one review (评价联系).
    ReviewContact,
    /// biz_type 5: the store's fans group (粉丝群).
    FansGroup,
    /// biz_type 6: three-party chat with the rider (骑手群聊).
    RiderGroup,
}

/// Where a two-party chat stands relative to its order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub enum OrderState {
    /// No order: a question before ordering (售前咨询).
    PreOrder,
    /// The order is under way (进行中).
    InProgress,
    /// Completed less than 48 hours ago (售后（48 小时内）).
    AfterSale,
    /// Completed more than 48 hours ago: the chat is read-only.
    Closed,
}

/// Health of the push long connection(s), for the status bar and the store rail.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub enum LinkState {
    /// Every socket is open.
    Online,
    /// Some sockets are reconnecting; messages still flow through the others.
    Degraded,
    /// No socket is open; reconnecting.
    Offline,
    /// Not started (no credentials, or stopped).
    Stopped,
}

/// What one socket of the push connection is doing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub enum SocketState {
    /// Open and reading frames.
    Open,
    /// Opening (token, handshake).
    Connecting,
    /// Waiting before the next attempt.
    Backoff,
    /// Stopped for good.
    Stopped,
}

/// One socket of the push connection.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct SocketHealth {
    /// 0-based index of the socket.
    pub index: u32,
    /// What it is doing.
    pub state: SocketState,
    /// When the last frame (including `HB`) arrived, UTC ms.
    pub last_frame_at: Option<i64>,
    /// Reconnects since start.
    pub reconnects: u32,
    /// Frames kept in quarantine because they could not be read.
    pub quarantined: u32,
}

/// The connection summary shown in the status bar.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct ConnectionStatus {
    /// Overall state.
    pub state: LinkState,
    /// Per socket detail.
    pub sockets: Vec<SocketHealth>,
    /// Frames in quarantine in total (diagnostics).
    pub quarantined_total: u32,
    /// Team mode: the desk's view of its team (a solo desk has none). `state` and
    /// `sockets` then describe the desk's link to the team server.
    pub team: Option<TeamStatus>,
}

/// A team desk's status line: the server, the relays and how far behind the desk is.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct TeamStatus {
    /// The agent this desk signs as (`IMDESK_AGENT`).
    pub agent: String,
    /// They sign in as a supervisor (客服主管): the wall and the brand's settings are theirs.
    #[ts(optional)]
    pub supervisor: Option<bool>,
    /// Connected to the team server now.
    pub server_connected: bool,
    /// Relays that said they were alive in the last 15 s.
    pub relays_online: u32,
    /// Their push sockets: open, and allowed.
    pub sockets_open: u32,
    pub sockets: u32,
    /// Stream records not yet applied here, and how old the oldest of them is (seconds).
    pub lag_messages: u64,
    pub lag_seconds: u64,
    /// Stream records that did not decode (kept in quarantine).
    pub quarantined: u64,
}

/// Team mode: who owns a conversation, and who else is in it now.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct ConversationTeam {
    /// The owner (`None`: in the team queue).
    pub owner: Option<String>,
    /// The owner record's revision, handed back with a transfer: a stale one is refused.
    pub revision: Option<u64>,
    /// This desk's agent owns it.
    pub mine: bool,
    /// Colleagues with it on screen.
    pub viewing: Vec<String>,
    /// Colleagues typing in it.
    pub typing: Vec<String>,
    /// This agent may answer (owner, nobody's yet, or a supervisor).
    pub can_reply: bool,
    /// A reply now would be a supervisor's in someone else's conversation (and marked so).
    pub as_supervisor: bool,
}

/// An agent as the team sees them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct AgentView {
    pub name: String,
    pub supervisor: bool,
    /// `online`, `busy`, `away` or `offline` (unseen for 30 s).
    pub status: AgentPresence,
    pub capacity: u32,
    /// Open conversations owned now.
    pub open: u32,
    /// The stores served (empty: all).
    pub stores: Vec<String>,
}

/// An agent's presence.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub enum AgentPresence {
    Online,
    Busy,
    Away,
    Offline,
}

/// The brand's assignment settings, with the revision a change is made against.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct AssignmentView {
    /// `manual`, `roundRobin` or `balanced`.
    pub mode: AssignmentMode,
    /// Seconds before an offline owner's waiting customer returns to the queue.
    pub grace_seconds: u32,
    /// Seconds after which an answered, quiet conversation no longer counts as open.
    pub close_after_seconds: u32,
    /// Pass back when changing them (0: never set).
    pub revision: u64,
}

/// The brand's assignment modes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub enum AssignmentMode {
    Manual,
    RoundRobin,
    Balanced,
}

/// The supervisor's wall (主管看板): the brand today.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct SupervisorWall {
    pub agents: Vec<WallAgent>,
    pub stores: Vec<WallStore>,
    /// Waiting conversations, nearest deadline first, with their owners.
    pub queue: Vec<WallQueueItem>,
    /// Waiting customers and overdue conversations per 10 minutes since midnight (local).
    pub chart: Vec<WallPoint>,
    pub assignment: AssignmentView,
    /// The clock the figures were computed at, UTC ms.
    pub now: i64,
}

/// One agent's day.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct WallAgent {
    pub agent: AgentView,
    pub replies_today: u32,
    /// Median seconds from a customer's message to this agent's first reply; `None` before
    /// any.
    pub median_first_reply_seconds: Option<f64>,
    /// Today's 5-minute rate of the customers this agent answered first (0..1).
    pub five_min_rate: Option<f64>,
    /// Today's 1-minute rate over urgent messages this agent answered first (0..1).
    pub urgent_rate: Option<f64>,
}

/// One store's moment.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct WallStore {
    pub epoi_id: String,
    pub name: String,
    pub waiting: u32,
    pub overdue: u32,
    /// Today's local 5-minute rate (0..1).
    pub five_min_rate: Option<f64>,
    /// The platform's own 5-minute and 1-minute-urgent rates, as a relay's poller last read
    /// them (the platform's strings).
    pub platform_five_min: Option<String>,
    pub platform_urgent: Option<String>,
}

/// One waiting conversation on the wall.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct WallQueueItem {
    pub conversation_id: ConversationId,
    pub store_name: String,
    pub title: ConversationTitle,
    pub deadline_at: i64,
    pub urgent: bool,
    pub owner: Option<String>,
    pub revision: Option<u64>,
}

/// The brand at one 10-minute mark.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct WallPoint {
    /// The mark, UTC ms.
    pub at: i64,
    /// Customers waiting for a reply then.
    pub waiting: u32,
    /// Of them, past their deadline.
    pub overdue: u32,
}

/// What a claim or a transfer ended as.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct ClaimResult {
    /// The owner afterwards (`None`: in the queue).
    pub owner: Option<String>,
    /// Whether this call took effect.
    pub claimed: bool,
}

/// A store in the rail, with its counters.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct StoreSummary {
    /// The ePoiId.
    pub epoi_id: String,
    /// Display name (e.g. 望京店).
    pub name: String,
    /// 2 (接单) or 16 (非接单).
    pub business_id: u32,
    /// Unread customer messages.
    pub unread: u32,
    /// Conversations whose reply clock is running.
    pub waiting: u32,
    /// Conversations whose reply clock has passed its deadline.
    pub overdue: u32,
    /// Notifications muted for this store.
    pub muted: bool,
    /// The store's IM switch as last learned from the platform (`false`: customers cannot
    /// chat with it and sends are refused); `None` while not known.
    pub im_open: Option<bool>,
    /// The store token's health (a desk with platform credentials; `None` otherwise).
    #[ts(optional)]
    pub token: Option<TokenHealth>,
}

/// A store token's health, for the rail.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(
    rename_all = "camelCase",
    rename_all_fields = "camelCase",
    tag = "state"
)]
pub enum TokenHealth {
    /// Renewable (OAuth) and current: renewed before `expiresAt` (UTC ms).
    Renewing { expires_at: i64 },
    /// Entered by hand, without a refresh token: used until the platform refuses it.
    Static,
    /// Its renewal failed (the reason, never the token); it still lives until `expiresAt`.
    RenewalFailing {
        expires_at: Option<i64>,
        reason: String,
    },
    /// Expired and not renewed: this store's pushes and sends stop until it is authorised
    /// again.
    Expired { reason: Option<String> },
}

/// Which conversations the inbox shows (the rail's filter chips).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub enum InboxFilter {
    /// Everything.
    All,
    /// Urgent or overdue.
    Urgent,
    /// Two-party, no order.
    PreOrder,
    /// Two-party, order in progress.
    InProgress,
    /// Two-party, after-sale window open.
    AfterSale,
    /// Review-contact groups.
    ReviewContact,
    /// Fans groups.
    FansGroup,
    /// Rider three-party groups.
    RiderGroup,
    /// Conversations with a blocked customer.
    Blocked,
}

/// A request for one page of the inbox.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct InboxQuery {
    /// Only this store (ePoiId), or all stores.
    pub store: Option<String>,
    /// The filter chip.
    pub filter: InboxFilter,
    /// Rows to skip (the list is virtualised and asks for windows of rows).
    pub offset: u32,
    /// Rows wanted.
    pub limit: u32,
}

/// What names a conversation, as data: the UI's catalogue words it in the agent's language.
/// Ids are decimal strings (see the module doc).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(
    rename_all = "camelCase",
    rename_all_fields = "camelCase",
    tag = "kind"
)]
pub enum ConversationTitle {
    /// A two-party chat: the customer, masked (the last four digits of their id).
    Customer {
        /// The masked customer.
        customer: String,
    },
    /// A review-contact group: the review's comment id (the group id when it is unknown).
    Review {
        /// The comment id.
        comment_id: String,
    },
    /// A fans group: its name as the platform sent it, if any.
    FansGroup {
        /// The group name.
        name: Option<String>,
        /// The group id.
        group_id: String,
    },
    /// A rider group: its customer (masked) when known.
    RiderGroup {
        /// The masked customer.
        customer: Option<String>,
        /// The group id.
        group_id: String,
    },
}

/// One inbox row. The list is ordered by reply deadline: running clocks first (earliest
/// deadline first, so overdue and urgent rise), then the rest by last message, newest first.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct ConversationRow {
    /// Stable id.
    pub id: ConversationId,
    /// Store ePoiId.
    pub store_id: String,
    /// Store display name.
    pub store_name: String,
    /// Kind of chat.
    pub kind: ConversationKind,
    /// The customer or the group, for the UI to word.
    pub title: ConversationTitle,
    /// What the last message carries: the UI shows a marker for what is not text.
    pub last_body: MessageBody,
    /// The last message's text as written (meaningful when `last_body` is text).
    pub last_text: String,
    /// When the last message was sent, UTC ms.
    pub last_at: i64,
    /// Whether the last message came from the customer side.
    pub last_from_customer: bool,
    /// Order state for two-party chats.
    pub order_state: Option<OrderState>,
    /// Scene tag of the message that started the clock (9003 complaint, …), if any.
    pub scene_tag: Option<i32>,
    /// Scene name as the platform sent it.
    pub scene_name: Option<String>,
    /// The running clock is an urgent (1-minute) one.
    pub urgent: bool,
    /// A running clock that is urgent or past its deadline at the page's `now` (the urgent
    /// filter and the next-urgent key).
    pub attention: bool,
    /// Unread customer messages.
    pub unread: u32,
    /// Reply deadline of the running clock, UTC ms; `None` when nobody waits.
    pub deadline_at: Option<i64>,
    /// When the wait started, UTC ms.
    pub awaiting_since: Option<i64>,
    /// The customer is blocked.
    pub blocked: bool,
    /// Team mode: the agent who owns it (`None`: in the queue, or a solo desk).
    #[ts(optional)]
    pub owner: Option<String>,
}

/// A page of the inbox.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct InboxPage {
    /// Total rows matching the query (for the virtual list's height).
    pub total: u32,
    /// The rows from `offset`.
    pub rows: Vec<ConversationRow>,
    /// The clock the deadlines were computed against (UTC ms), so the UI's countdowns agree
    /// with the core's even if the two clocks differ.
    pub now: i64,
}

/// Who wrote a message, as the chat draws it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub enum Author {
    /// The customer.
    Customer,
    /// The store (us, or another device of the store).
    Merchant,
    /// The rider (three-party chats).
    Rider,
    /// The platform.
    System,
}

/// The send state of a merchant message we wrote.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub enum SendState {
    /// Written to the outbox, not yet attempted.
    Queued,
    /// Being sent (possibly retrying).
    Sending,
    /// The platform accepted it.
    Sent,
    /// The platform refused it or retries ran out; `fail_reason` says why.
    Failed,
    /// Team mode: held back because the conversation moved on since the desk last saw it
    /// (`unseen` says how); the agent reads what is new, then confirms (resend) or edits.
    Held,
    /// Team mode: a relay took it and went away before saying whether the platform accepted
    /// it. Never resent by itself; the agent checks with the customer before sending again.
    Uncertain,
}

/// What a held reply had not seen (team mode's "no blind replies").
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub enum Unseen {
    /// A colleague replied in between (同事刚刚回复了).
    ColleagueReplied,
    /// The customer wrote in between (顾客有新消息).
    CustomerWrote,
}

/// What a message carries.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub enum MessageBody {
    /// Text.
    Text,
    /// An image; `text` holds its URL.
    Image,
    /// Anything else (shown as a placeholder).
    Other,
}

/// One chat bubble.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct ChatMessage {
    /// Local row key, stable and unique within the conversation (also the scroll cursor).
    pub key: String,
    /// The platform msg_id (ours for merchant messages), as a decimal string.
    pub msg_id: String,
    /// Who wrote it.
    pub author: Author,
    /// Text, image or other.
    pub body: MessageBody,
    /// Decrypted text (or image URL); `None` when it could not be decrypted.
    pub text: Option<String>,
    /// Sent at, UTC ms.
    pub at: i64,
    /// Scene tag (> 0 for scene messages).
    pub scene_tag: Option<i32>,
    /// Scene name.
    pub scene_name: Option<String>,
    /// For our own messages: the send state.
    pub send_state: Option<SendState>,
    /// For failed sends: the platform's or the local reason, ready to show.
    pub fail_reason: Option<String>,
    /// For a held reply: what it had not seen.
    pub unseen: Option<Unseen>,
    /// Team mode: the agent who wrote this reply.
    #[ts(optional)]
    pub agent: Option<String>,
    /// Team mode: a supervisor's reply in another agent's conversation.
    #[ts(optional)]
    pub by_supervisor: Option<bool>,
    /// For our own messages: the customer has read it (from their read time).
    pub read: bool,
}

/// A page of history, newest last.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct HistoryPage {
    /// The messages, oldest first.
    pub messages: Vec<ChatMessage>,
    /// Pass as `before` to load older messages; `None` at the beginning.
    pub older_cursor: Option<String>,
}

/// Why the composer is disabled, when it is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub enum ComposeBlock {
    /// The 48-hour after-sale window has closed.
    WindowClosed,
    /// The customer is blocked.
    CustomerBlocked,
    /// The store's IM switch is off.
    ImClosed,
}

/// One line of an order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct OrderItem {
    /// Dish name.
    pub name: String,
    /// Quantity.
    pub quantity: u32,
    /// Line price in fen.
    pub price_fen: i64,
    /// Spec / attributes, if any.
    pub spec: Option<String>,
}

/// The order card beside a two-party or rider chat.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct OrderCard {
    /// Order id as shown to the customer.
    pub order_id_view: String,
    /// The store's daily number (#12).
    pub day_seq: Option<u32>,
    /// Platform status code (2 new, 4 accepted, 6 delivering, 8 completed, 9 cancelled, …);
    /// the UI's catalogue words it.
    pub status: i32,
    /// Items.
    pub items: Vec<OrderItem>,
    /// Amount paid, fen.
    pub total_fen: i64,
    /// Delivery fee, fen.
    pub shipping_fee_fen: i64,
    /// Placed at, UTC ms.
    pub created_at: Option<i64>,
    /// Estimated arrival, UTC ms.
    pub estimated_arrival_at: Option<i64>,
    /// Completed at, UTC ms.
    pub completed_at: Option<i64>,
    /// Recipient name, masked as the platform masks it.
    pub recipient_name: String,
    /// Recipient phone, masked.
    pub recipient_phone: String,
    /// Address, masked.
    pub recipient_address: String,
    /// Customer remark.
    pub caution: Option<String>,
    /// Rider name and phone (masked), when known.
    pub rider: Option<String>,
    /// When this card was fetched, UTC ms (the card is cached).
    pub fetched_at: i64,
}

/// Everything beside one open conversation: header, composer state and context cards.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct ConversationDetail {
    /// The inbox row of this conversation.
    pub row: ConversationRow,
    /// Set when the composer must be disabled, with the reason.
    pub compose_block: Option<ComposeBlock>,
    /// When the after-sale window closes, UTC ms (two-party chats with a completed order).
    pub window_closes_at: Option<i64>,
    /// The order card, when the chat refers to an order and it has been fetched.
    pub order: Option<OrderCard>,
    /// For review-contact chats: the review.
    pub review: Option<ReviewCard>,
    /// The saved draft of the composer.
    pub draft: String,
    /// Whether pictures can be sent here: the store's integration can upload them \[INF\].
    pub can_send_images: bool,
    /// Whether the customer can be blocked from here: a two-party chat, not blocked yet, in
    /// a store that can upload the evidence pictures blocking needs.
    pub can_block: bool,
    /// Team mode: owner and colleagues in it (a solo desk has none).
    #[ts(optional)]
    pub team: Option<ConversationTeam>,
}

/// The review behind a review-contact chat.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct ReviewCard {
    /// The food score (stars), when given.
    pub score: Option<i32>,
    /// The review as the customer wrote it.
    pub text: String,
}

/// A picture from the agent's disk or clipboard, base64 over IPC.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct PictureFile {
    /// The file's name as the agent chose it (only its extension is looked at).
    pub name: String,
    /// The bytes, standard base64.
    pub data_base64: String,
}

/// Why a customer is blocked (`blockUser.block_code`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub enum BlockReason {
    /// 1: harassment or abuse.
    Harassment,
    /// 2: asked to add WeChat without ordering (suspected fraud).
    WechatFraud,
    /// 3: other; a description is required.
    Other,
}

/// Blocking a customer: the reason and 1 to 9 evidence pictures.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct BlockRequest {
    /// The reason.
    pub reason: BlockReason,
    /// Required for [`BlockReason::Other`].
    pub description: Option<String>,
    /// Screenshots of the abuse, 1 to 9.
    pub evidence: Vec<PictureFile>,
}

/// A quick reply (常用语). Variables: {顾客}, {门店}, {订单号}, {预计送达}.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct QuickReply {
    /// Local id.
    pub id: i64,
    /// `None` for the brand, or one store's ePoiId.
    pub store: Option<String>,
    /// Short title shown in the picker and matched by `/` search (e.g. 催单).
    pub title: String,
    /// The text with variables.
    pub text: String,
    /// Team mode: the brand's shared reply (its id in the team), edited by supervisors.
    #[ts(optional)]
    pub shared: Option<String>,
}

/// Search request over the local cache.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct SearchQuery {
    /// The words typed (two Chinese characters is the common case).
    pub text: String,
    /// Only this store.
    pub store: Option<String>,
    /// Only messages at or after this time, UTC ms.
    pub since: Option<i64>,
    /// Only messages before this time, UTC ms.
    pub until: Option<i64>,
    /// Only this kind of chat.
    pub kind: Option<ConversationKind>,
    /// At most this many hits (newest first).
    pub limit: u32,
}

/// One search hit, with what is needed to jump to it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct SearchHit {
    /// The conversation to open.
    pub conversation_id: ConversationId,
    /// The message's key within it.
    pub message_key: String,
    /// Store display name.
    pub store_name: String,
    /// Conversation title.
    pub title: ConversationTitle,
    /// The message text.
    pub text: String,
    /// Sent at, UTC ms.
    pub at: i64,
    /// Who wrote it.
    pub author: Author,
}

/// A reply rate: `replied_in_time / counted`, with the counts behind it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct Rate {
    /// Messages answered within the window.
    pub on_time: u32,
    /// Messages whose window has closed (answered or not).
    pub counted: u32,
    /// on_time / counted, or `None` when nothing was counted.
    pub ratio: Option<f64>,
}

/// Reply rates of one store or of the brand, locally computed and as Meituan reports them.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct ReplyRates {
    /// Store ePoiId, or `None` for the whole brand.
    pub store: Option<String>,
    /// Local 5-minute reply rate.
    pub five_min: Rate,
    /// Local 1-minute rate for urgent messages.
    pub urgent_one_min: Rate,
    /// Meituan's 5-minute figure (getReversionRateAndRightsList), as text, when fetched.
    pub platform_five_min: Option<String>,
    /// Meituan's urgent figure, when fetched.
    pub platform_urgent: Option<String>,
    /// Meituan's 5-minute target, when fetched.
    pub target_five_min: Option<String>,
    /// Meituan's urgent target, when fetched.
    pub target_urgent: Option<String>,
}

/// Small, coalesced notices from the core to the UI (at most ~30 a second). They carry ids and
/// counts; the UI fetches what it shows through commands.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(
    rename_all = "camelCase",
    rename_all_fields = "camelCase",
    tag = "kind"
)]
pub enum DeskEvent {
    /// These conversations changed (new message, clock, read state, send state).
    ConversationsChanged {
        /// The conversations, deduplicated within the batch.
        ids: Vec<ConversationId>,
    },
    /// Store counters changed; refetch the rail.
    StoresChanged,
    /// Connection health changed.
    Connection {
        /// The new status.
        status: ConnectionStatus,
    },
    /// Non-urgent notifications were paused (until this UTC ms) or resumed (`None`).
    AlertsPaused {
        /// End of the pause.
        until: Option<i64>,
    },
    /// The user activated a notification or the tray: open this conversation.
    Focus {
        /// The conversation to open.
        conversation_id: ConversationId,
    },
}

/// The one error shape that crosses IPC: a closed code the UI maps to Chinese text, and an
/// English message for logs and tooltips. Never contains secrets or message text.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct IpcError {
    /// What kind of failure.
    pub code: ErrorCode,
    /// Detail in English (ids, platform code and traceId where useful).
    pub message: String,
    /// The platform's own words (its `msg`) when it refused: what the UI shows for a refusal
    /// whose code it has no sentence for, since the platform's codes are not documented.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub platform_msg: Option<String>,
}

/// The closed set of failures the UI branches on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub enum ErrorCode {
    /// The text is empty.
    EmptyText,
    /// The text is longer than the platform accepts.
    TextTooLong,
    /// The customer is blocked.
    CustomerBlocked,
    /// The 48-hour after-sale window has closed.
    WindowClosed,
    /// The store's IM switch is off.
    ImClosed,
    /// No such conversation / store / message.
    NotFound,
    /// The platform refused (its code and traceId are in the message).
    Platform,
    /// Team mode: the conversation moved on since the desk last saw it; read, then confirm.
    Conflict,
    /// Team mode: whether the platform accepted the send is unknown; not resent.
    Uncertain,
    /// Team mode: another agent owns the conversation (only a supervisor may answer in it).
    NotOwner,
    /// The network failed; the action will be retried.
    Network,
    /// Credentials are missing or invalid.
    Auth,
    /// Bad input from the UI.
    Invalid,
    /// A picture that is not PNG or JPEG, or larger than the limit.
    BadImage,
    /// The store's integration has no endpoint for this (pictures on businessId 2).
    Unsupported,
    /// The disk is full: nothing was lost, but nothing more can be written until there is room.
    DiskFull,
    /// The store does not hold the platform right the action needs (review contact, fans
    /// groups); nothing was created.
    RightLocked,
    /// The thing to create exists already (a fans group with the same introduction, a
    /// running join-group coupon); nothing was created.
    Duplicate,
    /// A time that must lie ahead (a coupon activity's end) has passed.
    InPast,
    /// Anything else (a bug): see the log.
    Internal,
}

/// How long this desk keeps personal information (设置 → 数据保留), in days.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct RetentionSettings {
    /// Messages older than this are deleted (with their search index rows).
    pub message_days: u32,
    /// Cached order details (names, phone fragments, addresses) are deleted this long after
    /// the order completed.
    pub order_days: u32,
}

impl Default for RetentionSettings {
    fn default() -> Self {
        Self {
            message_days: 180,
            order_days: 30,
        }
    }
}

/// One pruning run: when, what it deleted, or why it stopped.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct RetentionRun {
    /// When it finished (UTC ms).
    pub at: i64,
    /// Messages deleted.
    pub messages: u64,
    /// Cached orders deleted.
    pub orders: u64,
    /// Why it stopped early (a full disk); what it deleted before stays deleted.
    pub error: Option<IpcError>,
}

/// The 数据保留 page: the settings and the last run since this start.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct RetentionView {
    /// The settings in force.
    pub settings: RetentionSettings,
    /// The last pruning run since the app started, if any.
    pub last_run: Option<RetentionRun>,
}

/// The connection doctor's report (设置 → 连接诊断, `imdesk-cli doctor`): what a support
/// engineer needs to see of the link to the platform. Carries ids, codes, states and times;
/// never a token, a secret or message text (quarantined frames are redacted).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct DoctorReport {
    /// When the report was made (UTC ms, the desk's clock).
    pub generated_at: i64,
    /// The gateway the desk calls (a URL; no credentials in it).
    pub gateway_url: String,
    /// The push base URL.
    pub push_url: String,
    /// The developer id, when configured (an id, not a secret).
    pub developer_id: Option<String>,
    /// Each configured store, with the result of a harmless read with its token.
    pub stores: Vec<StoreCheck>,
    /// The push connection: scope, sockets, imSecret age.
    pub push: PushReport,
    /// Our clock against the platform's.
    pub clock: ClockReport,
    /// Replies of the platform that were not `OP_SUCCESS`.
    pub replies: RepliesReport,
    /// Frames that could not be read.
    pub quarantine: QuarantineReport,
}

/// One store's token check (`getPoiIMStatus`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct StoreCheck {
    /// The ePoiId.
    pub epoi_id: String,
    /// Display name.
    pub name: String,
    /// 2 or 16.
    pub business_id: u8,
    /// The read succeeded: the token works.
    pub token_ok: bool,
    /// The store's IM switch, when the read succeeded.
    pub im_open: Option<bool>,
    /// Why the read failed.
    pub failure: Option<CheckFailure>,
    /// How long the read took, in ms.
    pub elapsed_ms: i64,
}

/// Why a check failed: the platform's code (or `network`, `unreadable`, `local`), its text
/// and traceId.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct CheckFailure {
    /// The platform's code, or `network` / `unreadable` / `auth` / `local`.
    pub code: String,
    /// The platform's `msg`, or our description (secrets scrubbed).
    pub message: String,
    /// The platform's traceId.
    pub trace_id: Option<String>,
}

/// The push long connection.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct PushReport {
    /// Whose pushes a connection carries: `developer` or `store:<epoiId>` (inferred, protocol §6.3).
    pub scope: String,
    /// Whether this desk runs push sockets at all.
    pub running: bool,
    /// The summary the status bar shows.
    pub state: LinkState,
    /// Each socket.
    pub sockets: Vec<SocketReport>,
    /// When the last connection token (and with it the imSecret) was granted (UTC ms).
    pub im_secret_fetched_at: Option<i64>,
    /// Age of that imSecret now, in ms.
    pub im_secret_age_ms: Option<i64>,
}

/// One push socket.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct SocketReport {
    /// Socket number, 0-based.
    pub index: u32,
    /// Its state.
    pub state: SocketState,
    /// Last frame of any kind (UTC ms).
    pub last_frame_at: Option<i64>,
    /// Sessions after the first.
    pub reconnects: u32,
    /// Push frames read.
    pub frames: u32,
    /// Keep-alive answers read.
    pub keepalives: u32,
    /// Copies dropped (another socket delivered first).
    pub duplicates: u32,
    /// Frames quarantined.
    pub quarantined: u32,
    /// Why its last session ended.
    pub last_disconnect: Option<String>,
}

/// Our clock against the gateway's `Date` header.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct ClockReport {
    /// Replies whose `Date` was read.
    pub samples: u32,
    /// Platform minus us, in ms (median of the recent samples); positive: we are behind.
    pub skew_ms: Option<i64>,
    /// How far off the estimate may be (the header has whole seconds, plus half a round trip).
    pub precision_ms: Option<i64>,
    /// When the last sample was taken (UTC ms).
    pub last_sample_at: Option<i64>,
}

/// Replies that were not `OP_SUCCESS`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct RepliesReport {
    /// Replies observed since start (every attempt).
    pub total: u32,
    /// Of which not successful.
    pub failed: u32,
    /// Failures by kind (`platform:<code>`, `unreadable:html`, `network:…`), with counts.
    pub counts: Vec<ProblemCount>,
    /// The last 50, newest first.
    pub recent: Vec<PlatformReply>,
}

/// A kind of problem and how often it was seen.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct ProblemCount {
    /// What (`platform:OP_…`, `unreadable:html`, `unknown_store`, …).
    pub kind: String,
    /// How many times.
    pub count: u32,
}

/// A reply that was not `OP_SUCCESS`: code, msg, traceId, endpoint; never a token or text.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct PlatformReply {
    /// When it arrived (UTC ms).
    pub at: i64,
    /// The endpoint (`msg/send`, `getPoiIMStatus`, …).
    pub endpoint: String,
    /// `platform`, `unreadable` (not the envelope: an HTML page, an unknown shape),
    /// `undecodable` (`data` of an unknown shape) or `network`.
    pub kind: String,
    /// The platform's code, or the body kind / transport failure.
    pub code: String,
    /// The platform's `msg` (secrets scrubbed, cut to 200 characters) or our description.
    pub msg: String,
    /// The platform's traceId.
    pub trace_id: Option<String>,
}

/// Frames that could not be read.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct QuarantineReport {
    /// Frames in quarantine in total.
    pub total: u32,
    /// By reason (of the recent ones), with counts.
    pub counts: Vec<ProblemCount>,
    /// The newest, newest first.
    pub recent: Vec<QuarantineEntry>,
}

/// A quarantined frame, redacted.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct QuarantineEntry {
    /// Local id.
    pub id: i64,
    /// When it arrived (UTC ms).
    pub received_at: i64,
    /// The reason's code (`unknown_store`, `not_json`, …).
    pub reason: String,
    /// The reason in full (field names, store ids; no content).
    pub detail: String,
    /// The frame with every text value masked: its shape, ids and lengths only.
    pub redacted: String,
    /// Length of the raw frame in bytes.
    pub raw_len: u32,
}

/// A diagnostic bundle written to disk.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct BundleInfo {
    /// Where the zip is.
    pub path: String,
    /// Its entries.
    pub entries: Vec<String>,
    /// Its size in bytes.
    pub bytes: i64,
}
