//! The schema, as a linear list of migrations versioned in `PRAGMA user_version`.
//!
//! Step *n* (1-based) takes a database from version *n − 1* to *n*. Steps are never edited
//! once landed: a change is a new step appended to [`MIGRATIONS`]. Times are UTC milliseconds.

use rusqlite::Connection;

use crate::error::{Result, StoreError};

/// Version 1: stores, conversations, messages, their full-text index and the quarantine.
const V1_MESSAGES: &str = r#"
CREATE TABLE stores (
    epoi_id       TEXT PRIMARY KEY,
    name          TEXT NOT NULL DEFAULT '',
    business_id   INTEGER NOT NULL DEFAULT 2,
    im_status     INTEGER,
    muted         INTEGER NOT NULL DEFAULT 0,
    updated_at_ms INTEGER NOT NULL DEFAULT 0
);

-- One row per conversation, keyed as architecture.md says: biz_type 1 by open_user_id,
-- 4/5/6 by group_id (both stored in peer_id). It is the inbox's summary: never computed
-- with GROUP BY over messages.
CREATE TABLE conversations (
    id                    INTEGER PRIMARY KEY,
    store                 TEXT NOT NULL,
    biz_type              INTEGER NOT NULL,
    peer_id               INTEGER NOT NULL,
    open_user_id          INTEGER,
    group_id              INTEGER,
    group_name            TEXT,
    comment_id            INTEGER,
    rider_id              INTEGER,
    order_id              INTEGER,
    order_state           INTEGER NOT NULL DEFAULT 0,  -- 0 pre-order, 1 in progress, 2 completed
    order_completed_at_ms INTEGER,
    last_msg_rowid        INTEGER,
    last_msg_at_ms        INTEGER NOT NULL DEFAULT 0,
    last_msg_source       INTEGER,
    last_msg_type         INTEGER,
    last_msg_preview      TEXT,
    unread_count          INTEGER NOT NULL DEFAULT 0,
    last_read_ms          INTEGER,                     -- the customer's read time
    awaiting_since_ms     INTEGER,                     -- reply clock: running when not NULL
    deadline_ms           INTEGER,
    clock_urgent          INTEGER NOT NULL DEFAULT 0,
    blocked               INTEGER NOT NULL DEFAULT 0,  -- mirror of the blocked table
    -- Inbox order in one ascending key: running clocks first by deadline, then the rest by
    -- last message time, newest first.
    inbox_key INTEGER GENERATED ALWAYS AS (
        CASE WHEN deadline_ms IS NOT NULL THEN deadline_ms - 4611686018427387904
             ELSE -last_msg_at_ms END) VIRTUAL,
    UNIQUE (store, biz_type, peer_id)
);
CREATE INDEX conversations_inbox ON conversations (inbox_key);
CREATE INDEX conversations_store_inbox ON conversations (store, inbox_key);
CREATE INDEX conversations_blocked_inbox ON conversations (inbox_key) WHERE blocked = 1;
CREATE INDEX conversations_order ON conversations (order_id) WHERE order_id IS NOT NULL;

-- id grows with arrival, so the full-text rowid order is "newest first" when reversed.
CREATE TABLE messages (
    id              INTEGER PRIMARY KEY,
    conversation_id INTEGER NOT NULL REFERENCES conversations (id),
    store           TEXT NOT NULL,
    biz_type        INTEGER NOT NULL,
    msg_id          INTEGER NOT NULL,
    msg_source      INTEGER NOT NULL,
    msg_type        INTEGER NOT NULL,
    text            TEXT,              -- decrypted; NULL when undecryptable
    raw_content     TEXT,              -- the encrypted msg_content, kept only when undecryptable
    decrypt_failed  INTEGER NOT NULL DEFAULT 0,
    cts_ms          INTEGER NOT NULL,
    order_id        INTEGER,
    open_user_id    INTEGER,
    group_id        INTEGER,
    comment_id      INTEGER,
    rider_id        INTEGER,
    scene_tag       INTEGER NOT NULL DEFAULT -1,
    scene_name      TEXT NOT NULL DEFAULT '',
    has_reply       INTEGER NOT NULL DEFAULT 0,
    group_name      TEXT,
    received_at_ms  INTEGER NOT NULL,
    UNIQUE (store, biz_type, msg_id)
);
CREATE INDEX messages_by_conversation ON messages (conversation_id, cts_ms);

-- Contentless: only the index of the derived bigram text (search_text.rs) is stored; rowid is
-- messages.id. detail=none keeps no positions: smaller and faster, and every hit is verified
-- against the real text anyway.
CREATE VIRTUAL TABLE message_search USING fts5 (
    body, content = '', detail = none, tokenize = 'unicode61'
);

CREATE TABLE quarantine (
    id             INTEGER PRIMARY KEY,
    raw            TEXT NOT NULL,
    reason         TEXT NOT NULL,
    received_at_ms INTEGER NOT NULL
);
"#;

/// Version 2: what the desk writes itself: outbox, blocked customers, order cache, quick
/// replies, drafts and settings.
const V2_DESK: &str = r#"
CREATE TABLE outbox (
    id                 INTEGER PRIMARY KEY,
    conversation_id    INTEGER NOT NULL REFERENCES conversations (id),
    store              TEXT NOT NULL,
    biz_type           INTEGER NOT NULL,
    msg_id             INTEGER NOT NULL UNIQUE,   -- ours; every retry reuses it
    msg_type           INTEGER NOT NULL,
    text               TEXT NOT NULL,             -- plaintext; encrypted at send time
    state              INTEGER NOT NULL DEFAULT 0, -- 0 queued, 1 sending, 2 sent, 3 failed
    attempts           INTEGER NOT NULL DEFAULT 0,
    last_error_code    INTEGER,
    last_error_message TEXT,
    created_at_ms      INTEGER NOT NULL,
    updated_at_ms      INTEGER NOT NULL,
    sent_at_ms         INTEGER
);
CREATE INDEX outbox_pending ON outbox (id) WHERE state IN (0, 1);
CREATE INDEX outbox_by_conversation ON outbox (conversation_id, id);

CREATE TABLE blocked (
    store         TEXT NOT NULL,
    open_user_id  INTEGER NOT NULL,
    reason        TEXT NOT NULL DEFAULT '',
    blocked_at_ms INTEGER NOT NULL,
    PRIMARY KEY (store, open_user_id)
) WITHOUT ROWID;

CREATE TABLE orders (
    order_id        INTEGER PRIMARY KEY,
    store           TEXT NOT NULL,
    status          INTEGER NOT NULL,            -- the platform's status code
    completed_at_ms INTEGER,
    json            TEXT NOT NULL DEFAULT '{}',
    fetched_at_ms   INTEGER NOT NULL
);

CREATE TABLE quick_replies (
    id    INTEGER PRIMARY KEY,
    store TEXT,                                  -- NULL: the whole brand
    title TEXT NOT NULL,
    text  TEXT NOT NULL,
    sort  INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX quick_replies_by_store ON quick_replies (store, sort);

CREATE TABLE drafts (
    conversation_id INTEGER PRIMARY KEY REFERENCES conversations (id),
    text            TEXT NOT NULL,
    updated_at_ms   INTEGER NOT NULL
);

CREATE TABLE settings (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
) WITHOUT ROWID;
"#;

/// Version 3: the reply log behind the 5-minute and urgent 1-minute reply rates.
const V3_REPLY_EVENTS: &str = r#"
CREATE TABLE reply_events (
    id              INTEGER PRIMARY KEY,
    store           TEXT NOT NULL,
    conversation_id INTEGER NOT NULL REFERENCES conversations (id),
    message_id      INTEGER NOT NULL REFERENCES messages (id),
    customer_at_ms  INTEGER NOT NULL,
    urgent          INTEGER NOT NULL,
    started_clock   INTEGER NOT NULL,  -- 0: an urgent message that tightened a running clock
    replied_at_ms   INTEGER
);
CREATE INDEX reply_events_by_time ON reply_events (store, customer_at_ms);
CREATE INDEX reply_events_open ON reply_events (conversation_id) WHERE replied_at_ms IS NULL;
"#;

/// Version 4: a reply closes its clock's reply-log rows by id (kept on the conversation)
/// instead of through a partial index, which cost every ingest a random index page.
const V4_CLOCK_EVENT_IDS: &str = r#"
ALTER TABLE conversations ADD COLUMN clock_event_id INTEGER;
ALTER TABLE conversations ADD COLUMN urgent_event_id INTEGER;
UPDATE conversations SET clock_event_id = (
    SELECT min(id) FROM reply_events e
    WHERE e.conversation_id = conversations.id AND e.replied_at_ms IS NULL)
WHERE deadline_ms IS NOT NULL;
UPDATE conversations SET urgent_event_id = (
    SELECT max(id) FROM reply_events e
    WHERE e.conversation_id = conversations.id AND e.replied_at_ms IS NULL AND e.started_clock = 0)
WHERE deadline_ms IS NOT NULL;
DROP INDEX reply_events_open;
"#;

/// Version 5: the reply log is indexed by time only. Keyed by (store, time), every ingest
/// batch dirtied one index page per store it touched (≈200 pages per 1,000 messages); by time
/// alone new rows append to the last page. The rates query reads a time range either way
/// (the store filter is optional, so the old index served it by a skip-scan over stores).
const V5_REPLY_EVENTS_BY_TIME: &str = r#"
DROP INDEX reply_events_by_time;
CREATE INDEX reply_events_by_customer_time ON reply_events (customer_at_ms);
"#;

/// Version 6: no per-store inbox index. Every ingest batch rewrites the inbox key of each
/// conversation it touches, and this index made that two more random index pages per
/// conversation (+14 % ingest CPU measured). One store's inbox page is now read through the
/// conversation key's index (store first: ~250 rows at 50,000 conversations over 200 stores)
/// and sorted, which costs under a millisecond more.
const V6_NO_STORE_INBOX_INDEX: &str = r#"
DROP INDEX conversations_store_inbox;
"#;

/// Version 7: a send failure in typed columns (kind, platform code, trace id, message)
/// instead of a code and a string the core formatted and readers split again. Rows written
/// before are split once here, best effort: the core wrote kind 1 (platform) as
/// "{code}: {msg} (traceId {id})" ("-" for no trace id), kind 2 (network) as
/// "network: {kind}" and kind 3 (local) as the plain message.
const V7_TYPED_SEND_FAILURES: &str = r#"
ALTER TABLE outbox RENAME COLUMN last_error_code TO failure_kind;  -- 1 platform, 2 network, 3 local
ALTER TABLE outbox RENAME COLUMN last_error_message TO failure_message;
ALTER TABLE outbox ADD COLUMN failure_platform_code TEXT;
ALTER TABLE outbox ADD COLUMN failure_trace_id TEXT;
UPDATE outbox SET
    failure_platform_code = substr(failure_message, 1, instr(failure_message, ': ') - 1),
    failure_message = substr(failure_message, instr(failure_message, ': ') + 2)
WHERE failure_kind = 1 AND instr(failure_message, ': ') > 1;
UPDATE outbox SET
    failure_trace_id = nullif(substr(failure_message, instr(failure_message, ' (traceId ') + 10,
        length(failure_message) - instr(failure_message, ' (traceId ') - 10), '-'),
    failure_message = substr(failure_message, 1, instr(failure_message, ' (traceId ') - 1)
WHERE failure_kind = 1 AND instr(failure_message, ' (traceId ') > 0
    AND failure_message LIKE '%)';
UPDATE outbox SET failure_message = substr(failure_message, 10)
WHERE failure_kind = 2 AND failure_message LIKE 'network: %';
"#;

/// Version 8: the inbox index carries `clock_urgent`, so the attention view (urgent or
/// overdue running clocks) counts and pages from the index alone, without reading each
/// running clock's row. `id` stays second so the index still gives the inbox's order
/// (`inbox_key, id`) without a sort. Same number of index writes per ingest:
/// `clock_urgent` changes only with the clock, which moves `inbox_key` anyway.
const V8_INBOX_INDEX_WITH_URGENCY: &str = r#"
DROP INDEX conversations_inbox;
CREATE INDEX conversations_inbox ON conversations (inbox_key, id, clock_urgent);
"#;

/// Version 9: deleting a message from the full-text index (retention pruning, "forget this
/// customer") removes its tokens from the index pages at once (FTS5's `secure-delete`
/// option), instead of leaving them beside a delete marker until some later merge: deleted
/// customer text must leave the file. The index stays contentless; a row is deleted with the
/// FTS5 'delete' command and the derived text it was indexed with
/// ([`crate::search_text::index_text`] of the message's text). A delete whose text does not
/// match finds nothing to remove and corrupts nothing in this mode.
const V9_SECURE_SEARCH_DELETE: &str = r#"
INSERT INTO message_search (message_search, rank) VALUES ('secure-delete', 1);
"#;

/// Version 10: who wrote each reply in team mode. Agents' names are the team's, not the
/// platform's; the supervisor's wall and "the agent who last served this customer" read them.
/// Keyed like a message (store, biz_type, msg_id); the conversation's peer is kept for the
/// last-author lookup.
const V10_REPLY_AUTHORS: &str = r#"
CREATE TABLE reply_authors (
    store      TEXT NOT NULL,
    biz_type   INTEGER NOT NULL,
    msg_id     INTEGER NOT NULL,
    peer_id    INTEGER NOT NULL,
    agent      TEXT NOT NULL,
    supervisor INTEGER NOT NULL,  -- 1: a supervisor answered in someone else's conversation
    at_ms      INTEGER NOT NULL,
    PRIMARY KEY (store, biz_type, msg_id)
) WITHOUT ROWID;
CREATE INDEX reply_authors_by_peer ON reply_authors (store, biz_type, peer_id, at_ms);
CREATE INDEX reply_authors_by_time ON reply_authors (at_ms);
"#;

/// Version 11: the platform's reply rates and rights (`getReversionRateAndRightsList`), one
/// row per store per local day, overwritten by each poll of that day, beside our own figures
/// for that day at the poll. Store-level figures, no personal data: kept for
/// [`crate::platform_rates::KEEP_DAYS`] days, pruned by the write that records a day.
/// Percents are 0–100; `rights` is a JSON array of `{"code","name","temp"}`.
const V11_PLATFORM_RATE_DAYS: &str = r#"
CREATE TABLE platform_rate_days (
    store            TEXT NOT NULL,
    day              TEXT NOT NULL,  -- local YYYY-MM-DD
    polled_at_ms     INTEGER NOT NULL,
    five_min         REAL,
    urgent           REAL,
    target_five_min  REAL,
    target_urgent    REAL,
    five_min_reached INTEGER,
    urgent_reached   INTEGER,
    local_five_min   REAL,
    local_urgent     REAL,
    rights           TEXT NOT NULL,
    PRIMARY KEY (store, day)
) WITHOUT ROWID;
CREATE INDEX platform_rate_days_by_day ON platform_rate_days (day);
"#;

/// Version 12: indexes for the questions an idle desk asks again and again, which scanned
/// every conversation (on the 1M-message demo cache each scan filled a reader's 8 MiB page
/// cache, so an idle desk kept 16 MiB of cache and the CPU to refill it).
/// - Read receipts that may still change: two-party conversations whose last message is ours
///   and newer than the customer's read time, by that message's time (the poller takes the
///   newest few of the last day). The `WHERE` is [`crate::conversations::unread_receipts`]'s
///   own, word for word, so that SQLite can prove the index covers the question.
/// - Conversations about an order, by last activity, with the store (the order poller walks
///   them newest first until it has its batch; [`crate::desk_tables::orders_to_fetch`]).
/// - The store rail's counts ([`crate::inbox::store_counts`], after every change the window
///   is told of): a covering index of the counted columns in store order, a ninth of the
///   table's pages.
const V12_POLLER_INDEXES: &str = r#"
CREATE INDEX conversations_receipts_pending ON conversations (last_msg_at_ms)
    WHERE biz_type = 1 AND last_msg_source = 1 AND last_msg_at_ms > coalesce(last_read_ms, 0);
CREATE INDEX conversations_order_activity ON conversations (last_msg_at_ms, order_id, store)
    WHERE order_id > 0;
CREATE INDEX conversations_counts ON conversations (store, unread_count, deadline_ms, clock_urgent);
"#;

/// Version 13: the customer messages that carry a scene (complaint, wrong items, remark…), by
/// conversation and time. Every inbox page and chat header shows the newest such message
/// since its conversation's clock started ([`crate::inbox::SCENE_JOIN`]); without this index
/// SQLite read every message of that stretch from the table to test two columns, and an
/// overdue conversation's stretch is all of its messages. On the 1M-message demo cache one
/// page of 100 rows read 1,505 pages (a reader's whole 8 MiB cache, at every change the window
/// is told of) and now reads 170; the index is 28 pages, and an ingest writes it only for a
/// scene message.
const V13_SCENE_INDEX: &str = r#"
CREATE INDEX messages_scenes ON messages (conversation_id, cts_ms)
    WHERE msg_source = 2 AND scene_tag > 0;
"#;

/// Every migration step, in order. Index *i* upgrades version *i* to *i + 1*.
pub const MIGRATIONS: &[&str] = &[
    V1_MESSAGES,
    V2_DESK,
    V3_REPLY_EVENTS,
    V4_CLOCK_EVENT_IDS,
    V5_REPLY_EVENTS_BY_TIME,
    V6_NO_STORE_INBOX_INDEX,
    V7_TYPED_SEND_FAILURES,
    V8_INBOX_INDEX_WITH_URGENCY,
    V9_SECURE_SEARCH_DELETE,
    V10_REPLY_AUTHORS,
    V11_PLATFORM_RATE_DAYS,
    V12_POLLER_INDEXES,
    V13_SCENE_INDEX,
];

/// The schema version this build writes.
pub fn latest_version() -> i64 {
    MIGRATIONS.len() as i64
}

/// Reads `user_version`.
pub fn version(conn: &Connection) -> Result<i64> {
    Ok(conn.query_row("PRAGMA user_version", [], |row| row.get(0))?)
}

/// Applies the steps after the database's version up to `target`, each in its own
/// transaction together with its `user_version` bump.
pub fn migrate_to(conn: &mut Connection, target: i64) -> Result<()> {
    let current = version(conn)?;
    if current > latest_version() {
        return Err(StoreError::SchemaTooNew {
            found: current,
            supported: latest_version(),
        });
    }
    for (index, step) in MIGRATIONS.iter().enumerate() {
        let to = index as i64 + 1;
        if to <= current || to > target {
            continue;
        }
        let tx = conn.transaction()?;
        tx.execute_batch(step)?;
        tx.pragma_update(None, "user_version", to)?;
        tx.commit()?;
        tracing::info!(version = to, "store schema migrated");
    }
    Ok(())
}

/// Upgrades to the latest version.
pub fn migrate(conn: &mut Connection) -> Result<()> {
    migrate_to(conn, latest_version())
}
