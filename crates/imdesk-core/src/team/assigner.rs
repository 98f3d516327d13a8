//! The assigner: in the relay that holds the `LEASE`, once a second, it returns to the queue
//! what an offline owner left waiting past the grace period, frees the capacity of answered
//! conversations gone quiet, and, in round robin or balanced mode, hands waiting unowned
//! conversations to online agents under capacity ([`plan`]). Every hand-over is a KV
//! `create`, so an agent's claim in the same instant wins or loses cleanly; with two relays,
//! only the lease holder assigns.

use std::collections::HashSet;
use std::sync::Arc;
use std::time::Duration;

use async_nats::jetstream::{self, kv};
use imdesk_store::ConversationKey;
use tokio_util::sync::CancellationToken;

use super::roster::{
    conversation_key, parse_conversation_key, AgentStatus, AssignHow, AssignMode, Board, Roster,
    LEASE_BUCKET,
};
use crate::desk::Desk;

/// The lease's key in `LEASE`.
const LEASE_KEY: &str = "assigner";
/// How often the holder looks at the queue (and renews its lease).
const TICK: Duration = Duration::from_secs(1);
/// How often quiet conversations are closed.
const CLOSE_EVERY: Duration = Duration::from_secs(30);

/// A conversation waiting for a reply, as the assigner sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Waiting {
    pub key: ConversationKey,
    /// Its reply deadline, UTC ms.
    pub deadline_ms: i64,
    /// The agent who last served this customer (上次接待客服).
    pub last_agent: Option<String>,
}

/// An agent who may be given a conversation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AgentLoad {
    pub name: String,
    pub capacity: u32,
    /// Open conversations now.
    pub open: u32,
    /// The stores served; empty for all (a set, shared with the board: the plan asks it
    /// for every waiting conversation and agent).
    pub stores: Arc<HashSet<String>>,
}

impl AgentLoad {
    fn takes(&self, store: &str) -> bool {
        self.open < self.capacity && (self.stores.is_empty() || self.stores.contains(store))
    }
}

/// The agents who take new conversations at `now_ms`: online, status online (not busy or
/// away), with their open counts.
pub fn available_agents(board: &Board, now_ms: i64) -> Vec<AgentLoad> {
    let open = board.open_counts();
    board
        .agents
        .values()
        .filter(|a| board.status(&a.name, now_ms) == Some(AgentStatus::Online))
        .map(|a| AgentLoad {
            name: a.name.clone(),
            capacity: a.capacity,
            open: open.get(a.name.as_str()).copied().unwrap_or(0),
            stores: board
                .serves
                .get(&a.name)
                .cloned()
                .unwrap_or_else(|| Arc::new(a.stores.iter().cloned().collect())),
        })
        .collect()
}

/// Who gets which waiting conversation (indexes into `waiting`), nearest deadline first.
/// Balanced: the agent who last served the customer if they can take it, else the one with
/// the fewest open conversations (ties by name); round robin: the next agent after `turn`
/// who can take it. What nobody can take stays in the queue. `agents`' open counts grow
/// with each decision.
pub fn plan(
    mode: AssignMode,
    waiting: &[Waiting],
    agents: &mut [AgentLoad],
    turn: &mut usize,
) -> Vec<(usize, String)> {
    let mut order: Vec<usize> = (0..waiting.len()).collect();
    order.sort_by_key(|&i| waiting[i].deadline_ms);
    let mut out = Vec::new();
    if mode == AssignMode::Manual || agents.is_empty() {
        return out;
    }
    agents.sort_by(|a, b| a.name.cmp(&b.name));
    for i in order {
        let w = &waiting[i];
        let store = w.key.store.as_str();
        let chosen = match mode {
            AssignMode::Manual => None,
            AssignMode::Balanced => w
                .last_agent
                .as_deref()
                .and_then(|last| agents.iter().position(|a| a.name == last && a.takes(store)))
                .or_else(|| {
                    agents
                        .iter()
                        .enumerate()
                        .filter(|(_, a)| a.takes(store))
                        .min_by_key(|(_, a)| a.open)
                        .map(|(j, _)| j)
                }),
            AssignMode::RoundRobin => {
                let n = agents.len();
                (0..n)
                    .map(|k| (*turn + k) % n)
                    .find(|&j| agents[j].takes(store))
                    .inspect(|&j| *turn = (j + 1) % n)
            }
        };
        if let Some(j) = chosen {
            agents[j].open += 1;
            out.push((i, agents[j].name.clone()));
        }
    }
    out
}

/// Holds the lease while it can and assigns while it holds it, until `stop`.
pub(crate) async fn run(
    desk: Arc<Desk>,
    js: jetstream::Context,
    roster: Roster,
    relay_id: String,
    stop: CancellationToken,
) {
    let lease = match js.get_key_value(LEASE_BUCKET).await {
        Ok(l) => l,
        Err(e) => {
            tracing::error!("team: no lease bucket, this relay does not assign: {e}");
            return;
        }
    };
    let mut held: Option<u64> = None;
    let mut turn = 0;
    let mut last_close = tokio::time::Instant::now();
    loop {
        held = renew(&lease, &relay_id, held).await;
        if held.is_some() {
            let close = last_close.elapsed() >= CLOSE_EVERY;
            if close {
                last_close = tokio::time::Instant::now();
            }
            if let Err(e) = tick(&desk, &roster, &mut turn, close).await {
                tracing::warn!("team assigner: {e}");
            }
        }
        tokio::select! {
            () = stop.cancelled() => break,
            () = tokio::time::sleep(TICK) => {}
        }
    }
    // Handing over at once rather than when the lease expires.
    if let Some(revision) = held {
        let _ = lease
            .delete_expect_revision(LEASE_KEY, Some(revision))
            .await;
    }
}

/// Takes or renews the lease: the revision held afterwards, or `None` when another relay
/// holds it.
async fn renew(lease: &kv::Store, relay_id: &str, held: Option<u64>) -> Option<u64> {
    let value = bytes::Bytes::from(relay_id.to_owned());
    match held {
        Some(revision) => match lease.update(LEASE_KEY, value, revision).await {
            Ok(r) => Some(r),
            Err(e) => {
                tracing::info!("team: this relay no longer runs the assigner: {e}");
                None
            }
        },
        None => match lease.create(LEASE_KEY, value).await {
            Ok(r) => {
                tracing::info!("team: this relay runs the assigner");
                Some(r)
            }
            Err(_) => None,
        },
    }
}

/// One look at the queue.
async fn tick(desk: &Desk, roster: &Roster, turn: &mut usize, close: bool) -> Result<(), String> {
    let board = roster.board();
    if !board.is_loaded() {
        return Ok(());
    }
    let now = desk.now();
    let settings = &board.settings;
    let grace_ms = i64::from(settings.grace_s) * 1000;
    let running = desk
        .store
        .running_clocks_async()
        .await
        .map_err(|e| e.to_string())?;
    let mut released = HashSet::new();
    // An offline owner's waiting customer goes back to the queue after the grace period.
    for conv in &running {
        let Some(clock) = &conv.clock else { continue };
        let k = conversation_key(&conv.key);
        let Some(owned) = board.owners.get(&k) else {
            continue;
        };
        let Some(offline_since) = board.offline_since(&owned.assignment.agent, now) else {
            continue;
        };
        if now - offline_since.max(clock.awaiting_since_ms) >= grace_ms
            && roster
                .release_at(&k, owned.revision)
                .await
                .map_err(|e| e.to_string())?
        {
            tracing::info!(owner = %owned.assignment.agent, "team: returned a conversation to the queue (owner offline)");
            released.insert(k);
        }
    }
    if close {
        close_quiet(desk, roster, &board, &running, now, &mut released).await?;
    }
    if settings.mode == AssignMode::Manual {
        return Ok(());
    }
    let mut agents = available_agents(&board, now);
    // What was just released no longer counts against its owner.
    for k in &released {
        if let Some(owned) = board.owners.get(k) {
            if let Some(a) = agents.iter_mut().find(|a| a.name == owned.assignment.agent) {
                a.open = a.open.saturating_sub(1);
            }
        }
    }
    // Everyone full: the queue waits, and nothing is read for it (a long queue in a peak
    // would otherwise cost one archive read per customer every second).
    if agents.iter().all(|a| a.open >= a.capacity) {
        return Ok(());
    }
    let mut waiting = Vec::new();
    for conv in &running {
        let Some(clock) = &conv.clock else { continue };
        let k = conversation_key(&conv.key);
        if board.owners.contains_key(&k) && !released.contains(&k) {
            continue;
        }
        let last_agent = if settings.mode == AssignMode::Balanced {
            desk.store
                .last_author_async(conv.key.clone())
                .await
                .map_err(|e| e.to_string())?
        } else {
            None
        };
        waiting.push(Waiting {
            key: conv.key.clone(),
            deadline_ms: clock.deadline_ms,
            last_agent,
        });
    }
    if waiting.is_empty() {
        return Ok(());
    }
    for (i, agent) in plan(settings.mode, &waiting, &mut agents, turn) {
        roster
            .claim_as(&waiting[i].key, &agent, "assigner", AssignHow::Auto)
            .await
            .map_err(|e| e.to_string())?;
    }
    Ok(())
}

/// Frees the capacity of answered conversations quiet for the brand's `close_after_s`.
async fn close_quiet(
    desk: &Desk,
    roster: &Roster,
    board: &Board,
    running: &[imdesk_store::Conversation],
    now: i64,
    released: &mut HashSet<String>,
) -> Result<(), String> {
    let quiet_ms = i64::from(board.settings.close_after_s) * 1000;
    let waiting: HashSet<String> = running.iter().map(|c| conversation_key(&c.key)).collect();
    for (k, owned) in &board.owners {
        if waiting.contains(k) || released.contains(k) {
            continue;
        }
        let last = match parse_conversation_key(k) {
            Some(key) => desk
                .store
                .find_conversation_async(key)
                .await
                .map_err(|e| e.to_string())?
                .map_or(owned.assignment.at_ms, |c| {
                    c.last_msg_at_ms.max(owned.assignment.at_ms)
                }),
            None => owned.assignment.at_ms,
        };
        if now - last >= quiet_ms
            && roster
                .release_at(k, owned.revision)
                .await
                .map_err(|e| e.to_string())?
        {
            released.insert(k.clone());
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn agent(name: &str, capacity: u32, open: u32) -> AgentLoad {
        AgentLoad {
            name: name.into(),
            capacity,
            open,
            stores: Arc::default(),
        }
    }

    fn waiting(store: &str, peer: i64, deadline_ms: i64, last: Option<&str>) -> Waiting {
        Waiting {
            key: ConversationKey {
                store: store.into(),
                biz_type: 1,
                peer_id: peer,
            },
            deadline_ms,
            last_agent: last.map(str::to_owned),
        }
    }

    #[test]
    fn balanced_gives_the_nearest_deadline_to_the_least_loaded_and_prefers_the_last_agent() {
        let queue = vec![
            waiting("s1", 1, 3_000, None),
            waiting("s1", 2, 1_000, None),
            waiting("s1", 3, 2_000, Some("c")),
        ];
        let mut agents = vec![agent("a", 5, 2), agent("b", 5, 0), agent("c", 5, 4)];
        let got = plan(AssignMode::Balanced, &queue, &mut agents, &mut 0);
        // Deadline 1000 first → b (0 open); 2000 → c (last served); 3000 → b (1) beats a (2).
        assert_eq!(
            got,
            vec![
                (1, "b".to_owned()),
                (2, "c".to_owned()),
                (0, "b".to_owned())
            ]
        );
    }

    #[test]
    fn a_full_or_foreign_agent_gets_nothing_and_the_rest_waits_in_the_queue() {
        let queue = vec![
            waiting("s1", 1, 1, Some("a")),
            waiting("s2", 2, 2, None),
            waiting("s1", 3, 3, None),
        ];
        let mut agents = vec![agent("a", 1, 1), agent("b", 1, 0)];
        agents[1].stores = Arc::new(HashSet::from(["s2".to_owned()]));
        let got = plan(AssignMode::Balanced, &queue, &mut agents, &mut 0);
        assert_eq!(got, vec![(1, "b".to_owned())]);
        assert!(plan(AssignMode::Manual, &queue, &mut agents, &mut 0).is_empty());
    }

    #[test]
    fn round_robin_takes_turns_and_skips_the_full() {
        let queue: Vec<_> = (0..5).map(|i| waiting("s", i, i, None)).collect();
        let mut agents = vec![agent("a", 9, 0), agent("b", 1, 0), agent("c", 9, 0)];
        let mut turn = 0;
        let got: Vec<String> = plan(AssignMode::RoundRobin, &queue, &mut agents, &mut turn)
            .into_iter()
            .map(|(_, a)| a)
            .collect();
        assert_eq!(got, ["a", "b", "c", "a", "c"]);
        assert_eq!(turn, 0);
    }
}
