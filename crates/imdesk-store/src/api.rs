//! The typed operations of [`Store`], each offered twice: a blocking method for the CLI and
//! threads, and an `_async` method for the engine. Writes go to the writer thread (the async
//! form awaits a oneshot answered after the batch commit); reads run on a pooled reader
//! connection (the async form inside `spawn_blocking`). No SQLite call ever runs on an async
//! executor thread.

use crate::authors::{self, ReplyAuthor, ReplyEvent};
use crate::conversations::{self, Conversation, ConversationKey};
use crate::db::Store;
use crate::desk_tables::{self, OrderRecord, QuickReply, StoreRow};
use crate::error::Result;
use crate::inbox::{self, InboxPage, InboxQuery, InboxRow, StoreCounts, StoreCountsAt};
use crate::messages::{self, ExportFilter, HistoryCursor, MessageRow, StoreActivity};
use crate::outbox::{self, NewOutboxMessage, OutboxItem, SendFailure};
use crate::platform_rates::{self, PlatformRateDay};
use crate::quarantine::{self, QuarantinedFrame};
use crate::reply_rates::{self, ReplyRates};
use crate::review_contact;
use crate::search::{self, SearchFilter};

/// Declares `name` (blocking) and `name_async` for an operation `f(conn, opts, args…)`.
macro_rules! operations {
    ($( $kind:ident $(#[$doc:meta])* fn $name:ident / $name_async:ident
        ( $($arg:ident : $ty:ty),* ) -> $ret:ty = $f:path; )*) => {
        impl Store {
            $(
                $(#[$doc])*
                pub fn $name(&self, $($arg: $ty),*) -> Result<$ret> {
                    let opts = self.options();
                    operations!(@sync $kind self, move |conn| $f(conn, &opts, $($arg),*))
                }

                $(#[$doc])*
                #[doc = ""]
                #[doc = "Async form: never blocks the executor."]
                pub async fn $name_async(&self, $($arg: $ty),*) -> Result<$ret> {
                    let opts = self.options();
                    operations!(@async $kind self, move |conn| $f(conn, &opts, $($arg),*))
                }
            )*
        }
    };
    (@sync write $s:ident, $c:expr) => { $s.write($c) };
    (@sync read $s:ident, $c:expr) => { $s.read($c) };
    (@async write $s:ident, $c:expr) => { $s.write_async($c).await };
    (@async read $s:ident, $c:expr) => { $s.read_async($c).await };
}

operations! {
    read
    /// An inbox page at `now_ms` (see [`InboxQuery`]).
    fn inbox / inbox_async(query: InboxQuery, now_ms: i64) -> InboxPage = inbox::inbox;
    read
    /// One conversation as its inbox row shows it (with its awaiting scene).
    fn inbox_row / inbox_row_async(id: i64) -> Option<InboxRow> = inbox::inbox_row;
    read
    /// Every conversation whose reply clock runs, earliest deadline first.
    fn running_clocks / running_clocks_async() -> Vec<Conversation> = inbox::running_clocks;
    read
    /// Two-party conversations whose last message is ours, sent after `since_ms` and not yet
    /// read by the customer as far as we know; newest first.
    fn unread_receipts / unread_receipts_async(since_ms: i64, limit: u32) -> Vec<Conversation>
        = conversations::unread_receipts;
    read
    /// The keys of the conversations about an order.
    fn conversations_of_order / conversations_of_order_async(order_id: i64) -> Vec<ConversationKey>
        = conversations::conversations_of_order;
    write
    /// The conversation of a store and peer, created empty if the cache has none yet.
    fn ensure_conversation / ensure_conversation_async(store: String, biz_type: i32,
        open_user_id: Option<i64>, group_id: Option<i64>, order_id: Option<i64>) -> Conversation
        = conversations::ensure_conversation;
    write
    /// The review-contact conversation of a group the desk created, created empty if new.
    fn open_review_contact / open_review_contact_async(store: String, group_id: i64,
        comment_id: i64, started_at_ms: i64) -> Conversation
        = review_contact::open_review_contact;
    read
    /// The review-contact conversation about a review, if any.
    fn review_contact_of / review_contact_of_async(store: String, comment_id: i64)
        -> Option<Conversation> = review_contact::review_contact_of;
    read
    /// One conversation by id.
    fn conversation / conversation_async(id: i64) -> Option<Conversation> = conversations::conversation;
    read
    /// One conversation by key.
    fn find_conversation / find_conversation_async(key: ConversationKey) -> Option<Conversation>
        = conversations::find_conversation;
    write
    /// An agent has seen the conversation: unread count to zero.
    fn mark_read / mark_read_async(conversation_id: i64) -> () = conversations::mark_read;
    write
    /// Records the customer's read time (it only moves forward).
    fn set_customer_read_time / set_customer_read_time_async(conversation_id: i64, last_read_ms: i64) -> ()
        = conversations::set_customer_read_time;
    read
    /// Unread, waiting and overdue counts per store at `now_ms`.
    fn store_counts / store_counts_async(now_ms: i64) -> Vec<StoreCounts> = inbox::store_counts;
    read
    /// The same counts with the last instant they hold through if nothing is written.
    fn store_counts_at / store_counts_at_async(now_ms: i64) -> StoreCountsAt = inbox::store_counts_at;
    read
    /// The last `limit` messages before `before`, oldest first.
    fn history / history_async(conversation_id: i64, before: Option<HistoryCursor>, limit: u32) -> Vec<MessageRow>
        = messages::history;
    read
    /// Up to `limit` messages after local id `after_id`, in storage order.
    fn messages_after / messages_after_async(after_id: i64, limit: u32) -> Vec<MessageRow>
        = messages::messages_after;
    read
    /// The outbox item with our `msg_id`, if any.
    fn outbox_by_msg_id / outbox_by_msg_id_async(msg_id: i64) -> Option<OutboxItem>
        = outbox::outbox_by_msg_id;
    read
    /// One message by local id.
    fn message / message_async(id: i64) -> Option<MessageRow> = messages::message;
    read
    /// Full-text search, newest first (see [`crate::search`]).
    fn search / search_async(query: String, filter: SearchFilter) -> Vec<MessageRow> = search::search;
    write
    /// Writes a merchant message to the outbox, or refuses it.
    fn enqueue_outbox / enqueue_outbox_async(message: NewOutboxMessage) -> OutboxItem = outbox::enqueue;
    write
    /// A send attempt starts (refused for a sent item).
    fn mark_sending / mark_sending_async(id: i64, now_ms: i64) -> OutboxItem = outbox::mark_sending;
    write
    /// The platform accepted the item; it is ingested as a merchant message.
    fn mark_sent / mark_sent_async(id: i64, now_ms: i64) -> OutboxItem = outbox::mark_sent;
    write
    /// Replaces an unsent item's content (same msg_id), e.g. a staged picture by its upload.
    fn set_outbox_content / set_outbox_content_async(id: i64, text: String, now_ms: i64) -> OutboxItem
        = outbox::set_content;
    write
    /// The attempt failed with the platform's reason.
    fn mark_failed / mark_failed_async(id: i64, failure: SendFailure, now_ms: i64) -> OutboxItem
        = outbox::mark_failed;
    read
    /// Queued and sending items, oldest first (resume them after a restart).
    fn pending_outbox / pending_outbox_async() -> Vec<OutboxItem> = outbox::pending_outbox;
    read
    /// A conversation's unsent items (queued, sending, failed), oldest first.
    fn unsent_outbox / unsent_outbox_async(conversation_id: i64) -> Vec<OutboxItem> = outbox::unsent_outbox;
    read
    /// The texts of unsent picture items: the staged pictures to keep.
    fn staged_picture_texts / staged_picture_texts_async() -> Vec<String> = outbox::staged_picture_texts;
    read
    /// One outbox item.
    fn outbox_item / outbox_item_async(id: i64) -> Option<OutboxItem> = outbox::outbox_item;
    write
    /// Inserts or replaces a store.
    fn upsert_store / upsert_store_async(store: StoreRow) -> () = desk_tables::upsert_store;
    read
    /// Every store.
    fn stores / stores_async() -> Vec<StoreRow> = desk_tables::stores;
    write
    /// Blocks a customer at a store.
    fn block_customer / block_customer_async(store: String, open_user_id: i64, reason: String, now_ms: i64) -> ()
        = desk_tables::block_customer;
    write
    /// Unblocks a customer.
    fn unblock_customer / unblock_customer_async(store: String, open_user_id: i64) -> ()
        = desk_tables::unblock_customer;
    read
    /// True when the customer is blocked at this store.
    fn is_blocked / is_blocked_async(store: String, open_user_id: i64) -> bool = desk_tables::is_blocked;
    write
    /// Caches a fetched order and updates the order context of its conversations.
    fn upsert_order / upsert_order_async(order: OrderRecord) -> () = desk_tables::upsert_order;
    read
    /// Orders to fetch: (store, order id) of orders that conversations active after
    /// `since_ms` refer to, never fetched, or open and fetched before `stale_before_ms`.
    fn orders_to_fetch / orders_to_fetch_async(since_ms: i64, stale_before_ms: i64, limit: u32)
        -> Vec<(String, i64)> = desk_tables::orders_to_fetch;
    read
    /// A cached order.
    fn order / order_async(order_id: i64) -> Option<OrderRecord> = desk_tables::order;
    write
    /// Creates or updates a quick reply; returns its id.
    fn save_quick_reply / save_quick_reply_async(reply: QuickReply) -> i64 = desk_tables::save_quick_reply;
    write
    /// Deletes a quick reply.
    fn delete_quick_reply / delete_quick_reply_async(id: i64) -> () = desk_tables::delete_quick_reply;
    read
    /// Brand quick replies plus those of `store`.
    fn quick_replies / quick_replies_async(store: Option<String>) -> Vec<QuickReply> = desk_tables::quick_replies;
    write
    /// Saves (or, when empty, deletes) a draft.
    fn set_draft / set_draft_async(conversation_id: i64, text: String, now_ms: i64) -> () = desk_tables::set_draft;
    read
    /// A conversation's draft.
    fn draft / draft_async(conversation_id: i64) -> Option<String> = desk_tables::draft;
    write
    /// Sets a setting.
    fn set_setting / set_setting_async(key: String, value: String) -> () = desk_tables::set_setting;
    read
    /// Reads a setting.
    fn setting / setting_async(key: String) -> Option<String> = desk_tables::setting;
    write
    /// Keeps an undecodable frame with its reason; returns its id.
    fn quarantine / quarantine_async(raw: String, reason: String, received_at_ms: i64) -> i64
        = quarantine::quarantine;
    read
    /// Quarantined frames, newest first, before id `before`.
    fn quarantined / quarantined_async(before: Option<i64>, limit: u32) -> Vec<QuarantinedFrame>
        = quarantine::quarantined;
    read
    /// How many frames are quarantined.
    fn quarantine_count / quarantine_count_async() -> i64 = quarantine::quarantine_count;
    write
    /// Records a store's platform rates of one day (overwriting that day), dropping its days
    /// before `oldest_day`.
    fn record_platform_rates / record_platform_rates_async(row: PlatformRateDay, oldest_day: String)
        -> () = platform_rates::record_platform_rates;
    read
    /// Every store's platform rates from `since_day` on, by store then day.
    fn platform_rate_history / platform_rate_history_async(since_day: String)
        -> Vec<PlatformRateDay> = platform_rates::platform_rate_history;
    read
    /// Per store: customers, their messages and our replies sent in `[since_ms, until_ms)`.
    fn store_activity / store_activity_async(since_ms: i64, until_ms: i64) -> Vec<StoreActivity>
        = messages::store_activity;
    read
    /// Reply rates of customer messages in `[since_ms, until_ms)` at `now_ms`: the brand,
    /// then each store (see [`ReplyRates`]).
    fn reply_rates / reply_rates_async(store: Option<String>, since_ms: i64, until_ms: i64, now_ms: i64)
        -> Vec<ReplyRates> = reply_rates::reply_rates;
    write
    /// Records who wrote a reply (team mode); the first record of a reply stays.
    fn record_author / record_author_async(author: ReplyAuthor) -> () = authors::record_author;
    read
    /// Who wrote a reply, if the team recorded it.
    fn author_of / author_of_async(store: String, biz_type: i32, msg_id: i64)
        -> Option<ReplyAuthor> = authors::author_of;
    read
    /// The recorded authors of a conversation's replies among `msg_ids`.
    fn authors_in / authors_in_async(key: ConversationKey, msg_ids: Vec<i64>)
        -> Vec<ReplyAuthor> = authors::authors_in;
    read
    /// The agent who last replied in a conversation.
    fn last_author / last_author_async(key: ConversationKey) -> Option<String> = authors::last_author;
    read
    /// Recorded authors of replies sent in `[since_ms, until_ms)` that reached the platform,
    /// oldest first.
    fn authors_between / authors_between_async(since_ms: i64, until_ms: i64)
        -> Vec<ReplyAuthor> = authors::authors_between;
    read
    /// Reply events of customer messages in `[since_ms, until_ms)`, oldest first.
    fn reply_events_between / reply_events_between_async(since_ms: i64, until_ms: i64)
        -> Vec<ReplyEvent> = authors::reply_events_between;
}

impl Store {
    /// Caps the file at `pages` pages (SQLite's `max_page_count`; `None` lifts the cap):
    /// writes past it fail as on a full disk. For budgeting a desk's disk, and for tests of
    /// what a full disk does.
    pub fn limit_pages(&self, pages: Option<u32>) -> Result<()> {
        self.write(move |conn| {
            conn.pragma_update(None, "max_page_count", pages.unwrap_or(1_073_741_823))?;
            Ok(())
        })
    }

    /// Streams matching messages in arrival order to `each` (blocking; for `imdesk-cli
    /// export`). Stops when `each` returns `false`; returns how many were visited.
    pub fn export_messages(
        &self,
        filter: &ExportFilter,
        each: impl FnMut(MessageRow) -> bool,
    ) -> Result<u64> {
        self.read(|conn| messages::export_messages(conn, filter, each))
    }
}
