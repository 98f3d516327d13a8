//! Blocking customers from a team desk (屏蔽顾客): the supervisor decides (product.md), a team
//! desk has no platform link, and every desk must show the block. A supervisor's desk puts the
//! evidence into `PICTURES` ([`super::pictures`]) and asks on [`BLOCK_SUBJECT`] (the relays'
//! queue group); the relay checks the asker is a supervisor, blocks (or lifts the block) on the
//! platform with the solo desk's code, and records it in the KV bucket [`BLOCKS_BUCKET`]
//! (`<store>.1-<customer>`, a put for a block and a delete when it is lifted). Every desk
//! follows that bucket into its own `blocked` table, so composers close and open everywhere.
//! brand.conf lets only supervisors publish on the subject.

use std::time::Duration;

use async_nats::jetstream::{self, kv};
use futures_util::StreamExt;
use imdesk_store::{ConversationKey, Store};
use serde::{Deserialize, Serialize};
use tokio_util::sync::CancellationToken;

use super::roster::{conversation_key, parse_conversation_key, Role, Roster};
use super::AskError;
use crate::convert::conversation_id_of;
use crate::desk::Desk;
use crate::error::{DeskError, DeskResult};
use crate::events::Notices;
use crate::pictures::Block;

/// Customers blocked at the brand's stores (a relay writes it, desks follow it).
pub const BLOCKS_BUCKET: &str = "BLOCKS";
/// Where a supervisor's desk asks the relays to block or unblock a customer.
pub const BLOCK_SUBJECT: &str = "imdesk.block";
/// How long a desk waits for the relay (evidence uploads and the platform's calls).
const ANSWER_WAIT: Duration = Duration::from_secs(60);

/// What a supervisor asks for: a block (its evidence pictures are names in `PICTURES`), or
/// the block on a store's customer lifted.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub(crate) enum BlockAction {
    Block(Block),
    Lift { store: String, user: i64 },
}

/// A supervisor's request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct BlockCall {
    pub v: u32,
    pub action: BlockAction,
    pub evidence: Vec<String>,
    pub agent: String,
    pub desk: String,
}

/// The relay's answer: `error` says why it did not.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct BlockAnswer {
    pub v: u32,
    pub error: Option<String>,
}

/// A block as the bucket keeps it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct BlockRecord {
    pub v: u32,
    pub block: Block,
    pub by: String,
    pub at_ms: i64,
}

fn record_key(store: &str, user: i64) -> String {
    conversation_key(&ConversationKey {
        store: store.to_owned(),
        biz_type: 1,
        peer_id: user,
    })
}

/// The desk's side: asks a relay, waiting for its answer.
pub(crate) async fn ask(client: &async_nats::Client, call: &BlockCall) -> DeskResult<()> {
    let answer: BlockAnswer = super::ask(client, BLOCK_SUBJECT, ANSWER_WAIT, call)
        .await
        .map_err(|e| {
            DeskError::Team(match e {
                AskError::Encode(e) => e,
                AskError::Timeout => "no relay answered the block in time".into(),
                AskError::Request(e) => format!("no relay took the block: {e}"),
                AskError::Decode(e) => format!("the relay's answer is unreadable: {e}"),
            })
        })?;
    match answer.error {
        None => Ok(()),
        Some(e) => Err(DeskError::Team(format!("the relay did not do it: {e}"))),
    }
}

/// The relay's side: answers block calls until stopped, one at a time (they are rare).
pub(crate) async fn serve(
    desk: std::sync::Arc<Desk>,
    roster: Roster,
    client: async_nats::Client,
    js: jetstream::Context,
    blocks: kv::Store,
    requests: async_nats::Subscriber,
    stop: CancellationToken,
) {
    super::answer_each(client, requests, stop, "block", |payload| {
        let (desk, roster, js, blocks) = (desk.clone(), roster.clone(), js.clone(), blocks.clone());
        async move {
            let error = match serde_json::from_slice::<BlockCall>(&payload) {
                Ok(call) => handle(&desk, &roster, &js, &blocks, &call).await.err(),
                Err(e) => Some(format!("unreadable block request: {e}")),
            };
            serde_json::to_vec(&BlockAnswer { v: 1, error }).unwrap_or_default()
        }
    })
    .await;
}

async fn handle(
    desk: &Desk,
    roster: &Roster,
    js: &jetstream::Context,
    blocks: &kv::Store,
    call: &BlockCall,
) -> Result<(), String> {
    let supervisor = roster
        .board()
        .agents
        .get(&call.agent)
        .is_some_and(|a| a.role == Role::Supervisor);
    if !supervisor {
        return Err(format!("{} is not a supervisor of this team", call.agent));
    }
    match &call.action {
        BlockAction::Block(block) => {
            let mut evidence = Vec::with_capacity(call.evidence.len());
            for name in &call.evidence {
                match super::pictures::read_object(js, name).await {
                    Ok(bytes) => evidence.push(bytes),
                    Err(super::pictures::ReadError::Missing(e))
                    | Err(super::pictures::ReadError::Transient(e)) => return Err(e),
                }
            }
            desk.block_on_platform(block, evidence)
                .await
                .map_err(|e| e.to_string())?;
            tracing::info!(store = %block.store, by = %call.agent, "team: customer blocked");
            let record = BlockRecord {
                v: 1,
                block: block.clone(),
                by: call.agent.clone(),
                at_ms: desk.now(),
            };
            let value = serde_json::to_vec(&record).map_err(|e| e.to_string())?;
            blocks
                .put(record_key(&block.store, block.user), value.into())
                .await
                .map_err(|e| format!("blocked on the platform, not yet on every desk: {e}"))?;
        }
        BlockAction::Lift { store, user } => {
            desk.unblock_on_platform(store, *user)
                .await
                .map_err(|e| e.to_string())?;
            tracing::info!(store = %store, by = %call.agent, "team: customer unblocked");
            blocks
                .delete(record_key(store, *user))
                .await
                .map_err(|e| format!("unblocked on the platform, not yet on every desk: {e}"))?;
        }
    }
    Ok(())
}

/// A desk's side: follows the bucket into the desk's `blocked` table until stopped
/// (watching again after a failure; a fresh watch replays every key's last state).
pub(crate) async fn follow(
    js: jetstream::Context,
    store: Store,
    notices: Notices,
    stop: CancellationToken,
) {
    let mut pause = super::Pause::new();
    loop {
        let outcome = tokio::select! {
            () = stop.cancelled() => return,
            r = follow_once(&js, &store, &notices) => r,
        };
        if let Err(e) = outcome {
            tracing::debug!("team blocks: {e}; watching again");
        }
        if !pause.wait(&stop).await {
            return;
        }
    }
}

async fn follow_once(
    js: &jetstream::Context,
    store: &Store,
    notices: &Notices,
) -> Result<(), String> {
    let bucket = js
        .get_key_value(BLOCKS_BUCKET)
        .await
        .map_err(|e| e.to_string())?;
    let mut entries = bucket
        .watch_with_history(">")
        .await
        .map_err(|e| e.to_string())?;
    while let Some(entry) = entries.next().await {
        let entry = entry.map_err(|e| e.to_string())?;
        let Some(key) = parse_conversation_key(&entry.key) else {
            tracing::warn!(key = %entry.key, "team blocks: a key that names no customer");
            continue;
        };
        let written = match entry.operation {
            kv::Operation::Put => match serde_json::from_slice::<BlockRecord>(&entry.value) {
                Ok(r) => {
                    store
                        .block_customer_async(
                            key.store.clone(),
                            key.peer_id,
                            r.block.reason_text(),
                            r.at_ms,
                        )
                        .await
                }
                Err(e) => {
                    tracing::warn!(key = %entry.key, "team blocks: a record that does not decode: {e}");
                    continue;
                }
            },
            kv::Operation::Delete | kv::Operation::Purge => {
                store
                    .unblock_customer_async(key.store.clone(), key.peer_id)
                    .await
            }
        };
        written.map_err(|e| e.to_string())?;
        notices.conversations(vec![conversation_id_of(&key.store, 1, key.peer_id)]);
        notices.stores();
    }
    Err("the watch ended".into())
}
