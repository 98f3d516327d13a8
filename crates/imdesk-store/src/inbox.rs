//! The inbox: its pages, per-store counts and the running clocks, all read from the
//! conversations table through the `inbox_key` index. The SQL meaning of "running clock",
//! "overdue" and "needs attention" is written once here; [`ReplyClock`] holds the Rust twin
//! of each, for a row already read.

use rusqlite::{Connection, Statement, ToSql};

use crate::conversations::{Conversation, ReplyClock, CONVERSATION_COLUMNS};
use crate::error::Result;
use crate::options::StoreOptions;

/// A running reply clock, as a range of the inbox index: the schema's inbox key puts running
/// clocks below −2⁶¹ (deadline − 2⁶²) and every other row above it (−last message time).
macro_rules! running_clock {
    () => {
        "inbox_key < -2305843009213693952"
    };
}

/// A running clock past its deadline at `:now` ([`ReplyClock::overdue`]), as a range of the
/// inbox index: `deadline_ms < :now` is `inbox_key < :now − 2⁶²` for a running clock, so the
/// overdue clocks are the front of the index and are counted without reading a row.
macro_rules! overdue {
    () => {
        "(inbox_key < :now - 4611686018427387904)"
    };
}

/// A running clock that is urgent or overdue at `:now` ([`ReplyClock::needs_attention`]).
/// The overdue test comes first: only clocks still inside their window read `clock_urgent`
/// from the row.
macro_rules! needs_attention {
    () => {
        concat!(
            "(",
            running_clock!(),
            " AND (",
            overdue!(),
            " OR clock_urgent = 1))"
        )
    };
}

impl ReplyClock {
    /// Past its deadline at `now_ms`.
    pub fn overdue(&self, now_ms: i64) -> bool {
        self.deadline_ms < now_ms
    }

    /// Urgent or overdue at `now_ms`: what [`InboxView::Attention`] lists and the desk
    /// highlights. Read this rather than deriving it again.
    pub fn needs_attention(&self, now_ms: i64) -> bool {
        self.urgent || self.overdue(now_ms)
    }
}

impl Conversation {
    /// A running clock that needs attention at `now_ms` (see [`ReplyClock::needs_attention`]).
    pub fn needs_attention(&self, now_ms: i64) -> bool {
        self.clock.is_some_and(|c| c.needs_attention(now_ms))
    }
}

/// Which conversations an inbox page lists.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub enum InboxView {
    /// Every conversation.
    #[default]
    All,
    /// Running clocks that are urgent or overdue ([`ReplyClock::needs_attention`]).
    Attention,
    /// Two-party conversations without an order (售前咨询).
    PreOrder,
    /// Two-party conversations about an order in progress.
    InProgress,
    /// Two-party conversations about a completed order whose after-sale window is still open
    /// (or whose completion time is unknown).
    AfterSale,
    /// Review-contact groups (biz_type 4).
    ReviewContact,
    /// Fans groups (biz_type 5).
    FansGroup,
    /// Groups with a rider (biz_type 6).
    RiderGroup,
    /// Conversations with a blocked customer.
    Blocked,
}

impl InboxView {
    /// The view's condition, appended to `WHERE 1`.
    fn sql(self) -> &'static str {
        match self {
            InboxView::All => "",
            InboxView::Attention => concat!(" AND ", needs_attention!()),
            InboxView::PreOrder => " AND biz_type = 1 AND order_state = 0",
            InboxView::InProgress => " AND biz_type = 1 AND order_state = 1",
            // Open while completion + window > now: the outbox refuses from the closing instant.
            InboxView::AfterSale => {
                " AND biz_type = 1 AND order_state = 2
                  AND (order_completed_at_ms IS NULL OR order_completed_at_ms + :window > :now)"
            }
            InboxView::ReviewContact => " AND biz_type = 4",
            InboxView::FansGroup => " AND biz_type = 5",
            InboxView::RiderGroup => " AND biz_type = 6",
            InboxView::Blocked => " AND blocked = 1",
        }
    }
}

/// Continue an inbox listing after this row (keyset paging).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct InboxCursor {
    /// `inbox_key` of the last row shown.
    pub inbox_key: i64,
    /// Its id.
    pub id: i64,
}

impl From<&Conversation> for InboxCursor {
    fn from(c: &Conversation) -> Self {
        Self {
            inbox_key: c.inbox_key,
            id: c.id,
        }
    }
}

/// An inbox page request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InboxQuery {
    /// Only this store.
    pub store: Option<String>,
    /// Which conversations.
    pub view: InboxView,
    /// Rows to skip (after `after`, when given). The window's virtual list jumps by offset;
    /// scrolling on from a page is as fast with `after` at any depth, an offset costs its rows.
    pub offset: u32,
    /// Continue after this row.
    pub after: Option<InboxCursor>,
    /// Page size, at most [`MAX_INBOX_PAGE`].
    pub limit: u32,
}

impl Default for InboxQuery {
    fn default() -> Self {
        Self {
            store: None,
            view: InboxView::All,
            offset: 0,
            after: None,
            limit: 200,
        }
    }
}

/// The largest inbox page served.
pub const MAX_INBOX_PAGE: u32 = 500;

/// One inbox row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InboxRow {
    /// The conversation.
    pub conversation: Conversation,
    /// The scene the row shows while its clock runs: the newest customer message with a scene
    /// tag (complaint, wrong items, remark…) since the clock started, as (tag, name).
    pub scene: Option<(i32, String)>,
}

/// An inbox page.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct InboxPage {
    /// Conversations the view lists in all (cursor and offset aside).
    pub total: u32,
    /// The page, in inbox order.
    pub rows: Vec<InboxRow>,
}

/// Binds the named parameters the statement uses and skips the others (a view's SQL uses
/// only some of them), then runs it.
fn bind(stmt: &mut Statement<'_>, params: &[(&str, &dyn ToSql)]) -> Result<()> {
    for (name, value) in params {
        if let Some(index) = stmt.parameter_index(name)? {
            stmt.raw_bind_parameter(index, value)?;
        }
    }
    Ok(())
}

/// An inbox page at `now_ms`: running clocks first by deadline, then the rest by last
/// message, newest first. Rows, their scenes and the total come from one read snapshot.
pub fn inbox(
    conn: &Connection,
    opts: &StoreOptions,
    mut query: InboxQuery,
    now_ms: i64,
) -> Result<InboxPage> {
    let mut filter = String::from(query.view.sql());
    if query.store.is_some() {
        filter.push_str(" AND store = :store");
    }
    // One store's few hundred rows are found through the conversation key (store first) and
    // sorted; `+inbox_key` keeps the planner from walking the whole brand's inbox index for
    // its order instead (a view's rows of one store sit scattered along it).
    let order = if query.store.is_some() {
        "+inbox_key, id"
    } else {
        "inbox_key, id"
    };
    // One snapshot: the total and the rows agree even while the writer commits.
    let tx = conn.unchecked_transaction()?;
    let filter_params: &[(&str, &dyn ToSql)] = &[
        (":now", &now_ms),
        (":window", &opts.after_sale_window_ms),
        (":store", &query.store),
    ];
    // A page by offset starts where the offset-th row's key is, found in the inbox index
    // alone; the page itself is then read from that key on, so page 40 costs what page 1
    // does instead of reading every skipped row.
    if query.after.is_none() && query.offset > 0 {
        let mut start = tx.prepare_cached(&format!(
            "SELECT inbox_key, id FROM conversations WHERE 1{filter}
             ORDER BY {order} LIMIT 1 OFFSET :offset"
        ))?;
        bind(&mut start, filter_params)?;
        bind(&mut start, &[(":offset", &query.offset)])?;
        let first: Option<(i64, i64)> = match start.raw_query().next()? {
            Some(row) => Some((row.get(0)?, row.get(1)?)),
            None => None,
        };
        if let Some((inbox_key, id)) = first {
            // Strictly after (key, id − 1) is from (key, id) on: ids are integers.
            query.after = Some(InboxCursor {
                inbox_key,
                id: id.saturating_sub(1),
            });
            query.offset = 0;
        }
    }
    let after = query.after.map_or("", |_| {
        " AND inbox_key >= :after_key AND (inbox_key > :after_key OR id > :after_id)"
    });
    let (after_key, after_id) = query.after.map_or((0, 0), |a| (a.inbox_key, a.id));
    let page_params: &[(&str, &dyn ToSql)] = &[
        (":after_key", &after_key),
        (":after_id", &after_id),
        (":limit", &query.limit.min(MAX_INBOX_PAGE)),
        (":offset", &query.offset),
    ];
    let page_sql = format!(
        "SELECT c.*, s.scene_tag, s.scene_name FROM (
             SELECT {CONVERSATION_COLUMNS} FROM conversations WHERE 1{filter}{after}
             ORDER BY {order} LIMIT :limit OFFSET :offset) c
         {SCENE_JOIN}
         ORDER BY c.inbox_key, c.id"
    );
    let page = {
        let mut count = tx.prepare_cached(&format!(
            "SELECT count(*) FROM conversations WHERE 1{filter}"
        ))?;
        bind(&mut count, filter_params)?;
        let total: i64 = match count.raw_query().next()? {
            Some(row) => row.get(0)?,
            None => 0,
        };
        let mut stmt = tx.prepare_cached(&page_sql)?;
        bind(&mut stmt, filter_params)?;
        bind(&mut stmt, page_params)?;
        let mut rows = Vec::new();
        let mut cursor = stmt.raw_query();
        while let Some(row) = cursor.next()? {
            let tag: Option<i32> = row.get(24)?;
            let name: Option<String> = row.get(25)?;
            rows.push(InboxRow {
                conversation: Conversation::from_row(row)?,
                scene: tag.map(|tag| (tag, name.unwrap_or_default())),
            });
        }
        InboxPage {
            total: u32::try_from(total).unwrap_or(u32::MAX),
            rows,
        }
    };
    tx.commit()?;
    Ok(page)
}

/// Joins the scene a row `c` shows as `s`: the newest customer message with a scene tag since
/// its clock started. Its conditions are word for word those of the `messages_scenes` partial
/// index (schema version 13), so that SQLite can prove the index holds every candidate.
pub(crate) const SCENE_JOIN: &str = "LEFT JOIN messages s ON s.id = (
             SELECT id FROM messages WHERE conversation_id = c.id
                 AND cts_ms >= c.awaiting_since_ms AND msg_source = 2 AND scene_tag > 0
             ORDER BY cts_ms DESC LIMIT 1)";

/// One conversation as its inbox row shows it (the chat header of an open conversation).
pub fn inbox_row(conn: &Connection, _opts: &StoreOptions, id: i64) -> Result<Option<InboxRow>> {
    let sql = format!(
        "SELECT c.*, s.scene_tag, s.scene_name FROM (
             SELECT {CONVERSATION_COLUMNS} FROM conversations WHERE id = ?1) c
         {SCENE_JOIN}"
    );
    let mut stmt = conn.prepare_cached(&sql)?;
    let mut rows = stmt.query([id])?;
    let Some(row) = rows.next()? else {
        return Ok(None);
    };
    let tag: Option<i32> = row.get(24)?;
    let name: Option<String> = row.get(25)?;
    Ok(Some(InboxRow {
        conversation: Conversation::from_row(row)?,
        scene: tag.map(|tag| (tag, name.unwrap_or_default())),
    }))
}

/// Every conversation whose reply clock runs, earliest deadline first (the alert clocks are
/// restored from them at start).
pub fn running_clocks(conn: &Connection, _opts: &StoreOptions) -> Result<Vec<Conversation>> {
    let sql = format!(
        "SELECT {CONVERSATION_COLUMNS} FROM conversations WHERE {} ORDER BY inbox_key, id",
        running_clock!()
    );
    let rows = conn
        .prepare_cached(&sql)?
        .query_map([], Conversation::from_row)?
        .collect::<rusqlite::Result<_>>()?;
    Ok(rows)
}

/// Per-store numbers for the store rail and the supervisor view.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct StoreCounts {
    /// Store (`epoiId`).
    pub store: String,
    /// Unread customer messages.
    pub unread_messages: i64,
    /// Conversations with unread messages.
    pub unread_conversations: i64,
    /// Conversations with a running reply clock.
    pub waiting: i64,
    /// Of those, clocks past their deadline at `now_ms` ([`ReplyClock::overdue`]).
    pub overdue: i64,
    /// Of the waiting, urgent clocks.
    pub urgent_waiting: i64,
    /// Of the waiting, those that need attention ([`ReplyClock::needs_attention`]): the
    /// total of [`InboxView::Attention`] for the store.
    pub attention: i64,
}

/// The per-store counts at an instant, and how long they hold.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct StoreCountsAt {
    /// As [`store_counts`] returns them.
    pub counts: Vec<StoreCounts>,
    /// The last instant at which `counts` still hold if nothing is written: the earliest
    /// deadline of a running clock not overdue yet (a millisecond later it is, and the overdue
    /// and attention counts change). `None`: no clock is left to fall due.
    pub holds_through: Option<i64>,
}

/// [`store_counts`] at `now_ms` and until when they hold, from one read snapshot. The counts
/// change with time only where a running clock passes its deadline: the front of the inbox
/// index past `now_ms` says when that next happens, without reading a row.
pub fn store_counts_at(
    conn: &Connection,
    opts: &StoreOptions,
    now_ms: i64,
) -> Result<StoreCountsAt> {
    let tx = conn.unchecked_transaction()?;
    let counts = store_counts(&tx, opts, now_ms)?;
    let next: Option<i64> = tx.query_row(
        // The running clocks not overdue (deadline ≥ now, the negation of `overdue!`) as a
        // range of the inbox index; its first key is the earliest deadline.
        concat!(
            "SELECT min(inbox_key) + 4611686018427387904 FROM conversations
             WHERE inbox_key >= :now - 4611686018427387904 AND ",
            running_clock!()
        ),
        rusqlite::named_params! { ":now": now_ms },
        |row| row.get(0),
    )?;
    tx.commit()?;
    Ok(StoreCountsAt {
        counts,
        holds_through: next,
    })
}

/// [`store_counts`]'s statement (`:now` bound). Read from a covering index of the counted
/// columns in store order (schema version 12): a running clock is `deadline_ms IS NOT NULL`
/// and an overdue one `deadline_ms < :now`, the same rows as `running_clock!` and
/// `overdue!` select through `inbox_key` (which is `deadline_ms - 2^62` exactly when a
/// deadline is set), spelled on the stored column because SQLite does not read a virtual
/// column from an index.
pub(crate) const STORE_COUNTS_SQL: &str = "SELECT store, sum(unread_count), sum(unread_count > 0),
        sum(deadline_ms IS NOT NULL), sum(deadline_ms < :now),
        sum(deadline_ms IS NOT NULL AND clock_urgent = 1),
        sum(deadline_ms IS NOT NULL AND (clock_urgent = 1 OR deadline_ms < :now))
    FROM conversations INDEXED BY conversations_counts GROUP BY store
    HAVING sum(unread_count) > 0 OR sum(deadline_ms IS NOT NULL) > 0 ORDER BY store";

/// Counts per store (only stores with something to count appear), ordered by store, in one
/// pass over their covering index (which costs an ingest one more index write per
/// conversation it touches).
pub fn store_counts(
    conn: &Connection,
    _opts: &StoreOptions,
    now_ms: i64,
) -> Result<Vec<StoreCounts>> {
    // One pass over the covering index of exactly the counted columns, in store order: on
    // the 1M-message demo cache 277 pages against the table's 2,940, 14 ms against 42 warm
    // (sqlite3, 8 MiB cache). The table scan it replaces filled a reader's 8 MiB page cache at
    // every count, and the rail is counted after each change. INDEXED BY: without statistics
    // the planner takes the (store, …) unique index, not covering, every row out of order.
    let mut stmt = conn.prepare_cached(STORE_COUNTS_SQL)?;
    let rows = stmt
        .query_map(rusqlite::named_params! { ":now": now_ms }, |row| {
            Ok(StoreCounts {
                store: row.get(0)?,
                unread_messages: row.get(1)?,
                unread_conversations: row.get(2)?,
                waiting: row.get(3)?,
                overdue: row.get(4)?,
                urgent_waiting: row.get(5)?,
                attention: row.get(6)?,
            })
        })?
        .collect::<rusqlite::Result<_>>()?;
    Ok(rows)
}
