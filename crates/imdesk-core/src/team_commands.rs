//! Team mode II through the engine: claims, transfers, presence, the assignment settings,
//! shared quick replies and the supervisor's wall, each a `Desk` method over the desk's
//! [`Roster`](crate::team::Roster). A solo desk answers each with an `Invalid` error (or,
//! for what it reads, nothing).

use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::Arc;
use std::time::Duration;

use imdesk_store::{ConversationKey, ReplyAuthor};
use meituan_wire::TimeMs;
use tokio::sync::watch;
use tokio_util::sync::CancellationToken;

use crate::alerts::local_second_of_day;
use crate::convert::{self, conversation_id_of, parse_conversation_id};
use crate::desk::Desk;
use crate::error::{DeskError, DeskResult};
use crate::events::Notices;
use crate::team::roster::{
    conversation_key, parse_conversation_key, AgentStatus, AssignMode, AssignmentSettings, Board,
    Role, Roster,
};
use crate::view::{
    AgentPresence, AgentView, AssignmentMode, AssignmentView, ChatMessage, ClaimResult,
    ConversationRow, ConversationTeam, QuickReply, SupervisorWall, WallAgent, WallPoint,
    WallQueueItem, WallStore,
};

/// How long a send waits for the team's owners to load before it goes without the rule.
const BOARD_WAIT: Duration = Duration::from_secs(3);
/// The wall's chart step.
const CHART_STEP_MS: i64 = 10 * 60 * 1000;

fn solo() -> DeskError {
    DeskError::Invalid("this desk is not in team mode".into())
}

impl Desk {
    fn roster(&self) -> Option<&Roster> {
        self.team.as_ref().map(|t| &t.roster)
    }

    fn team_roster(&self) -> DeskResult<&Roster> {
        self.roster().ok_or_else(solo)
    }

    /// Whether this desk's user may take a supervisor's actions (spending the brand's money):
    /// the one user of a solo desk, a supervisor of a team.
    pub(crate) fn is_supervisor(&self) -> bool {
        match self.roster() {
            None => true,
            Some(_) => self.me().is_some_and(|(_, supervisor)| supervisor),
        }
    }

    /// This desk's agent name and whether they are a supervisor.
    pub(crate) fn me(&self) -> Option<(String, bool)> {
        self.roster()
            .and_then(Roster::me)
            .map(|m| (m.name, m.role == Role::Supervisor))
    }

    /// Team mode: the owner and colleagues of a conversation, for its header.
    pub(crate) fn conversation_team(&self, key: &ConversationKey) -> Option<ConversationTeam> {
        let roster = self.roster()?;
        let (me, supervisor) = self.me()?;
        let board = roster.board();
        let owned = board.owner(key);
        let owner = owned.map(|o| o.assignment.agent.clone());
        let (viewing, typing) = board.others_in(&conversation_key(key), &me, self.now());
        let mine = owner.as_deref() == Some(me.as_str());
        Some(ConversationTeam {
            revision: owned.map(|o| o.revision),
            mine,
            viewing,
            typing,
            can_reply: owner.is_none() || mine || supervisor,
            as_supervisor: supervisor && owner.is_some() && !mine,
            owner,
        })
    }

    /// Team mode: each row's owner.
    pub(crate) fn fill_owners(&self, rows: &mut [ConversationRow]) {
        let Some(roster) = self.roster() else { return };
        let board = roster.board();
        for row in rows {
            if let Ok(key) = parse_conversation_id(&row.id) {
                row.owner = board.owner(&key).map(|o| o.assignment.agent.clone());
            }
        }
    }

    /// Team mode: who wrote each of our replies in a history page.
    pub(crate) async fn fill_authors(
        &self,
        key: &ConversationKey,
        messages: &mut [ChatMessage],
    ) -> DeskResult<()> {
        if self.team.is_none() {
            return Ok(());
        }
        let ids: Vec<i64> = messages
            .iter()
            .filter(|m| m.author == crate::view::Author::Merchant)
            .filter_map(|m| m.msg_id.parse().ok())
            .collect();
        if ids.is_empty() {
            return Ok(());
        }
        let authors: HashMap<i64, ReplyAuthor> = self
            .store
            .authors_in_async(key.clone(), ids)
            .await?
            .into_iter()
            .map(|a| (a.msg_id, a))
            .collect();
        for m in messages {
            if let Some(a) = m.msg_id.parse().ok().and_then(|id: i64| authors.get(&id)) {
                m.agent = Some(a.agent.clone());
                m.by_supervisor = a.supervisor.then_some(true);
            }
        }
        Ok(())
    }

    /// Team mode: whether this agent may answer in `key` now. An unowned conversation is
    /// claimed by answering it; another agent's is refused unless this agent is a supervisor.
    pub(crate) async fn may_answer(&self, key: &ConversationKey) -> DeskResult<()> {
        let Some(roster) = self.roster() else {
            return Ok(());
        };
        let Some((me, supervisor)) = self.me() else {
            return Ok(());
        };
        if !roster.loaded_once(BOARD_WAIT).await {
            tracing::warn!("team owners not loaded; sending without the ownership rule");
            return Ok(());
        }
        let owner = roster
            .board()
            .owner(key)
            .map(|o| o.assignment.agent.clone());
        let owner = match owner {
            Some(o) => Some(o),
            None => roster.claim(key, &me).await?.owner,
        };
        match owner {
            Some(o) if o != me && !supervisor => Err(DeskError::NotOwner { owner: o }),
            _ => Ok(()),
        }
    }

    /// Claims a conversation (认领) for this desk's agent; first claim wins.
    pub async fn claim(&self, conversation_id: &str) -> DeskResult<ClaimResult> {
        let roster = self.team_roster()?;
        let conv = self.conversation_by_id(conversation_id).await?;
        let (me, _) = self.me().ok_or_else(solo)?;
        let out = roster.claim(&conv.key, &me).await?;
        tracing::info!(
            store = %conv.key.store,
            agent = %me,
            owner = out.owner.as_deref().unwrap_or(""),
            claimed = out.claimed,
            "team: claim"
        );
        self.notices.conversations(vec![conversation_id.to_owned()]);
        Ok(ClaimResult {
            owner: out.owner,
            claimed: out.claimed,
        })
    }

    /// Hands a conversation to `to` (`None`: back to the queue), against the owner record's
    /// revision the agent saw (`None`: whatever it is now). Only its owner or a supervisor
    /// hands it on.
    pub async fn transfer(
        &self,
        conversation_id: &str,
        to: Option<String>,
        revision: Option<u64>,
    ) -> DeskResult<ClaimResult> {
        let roster = self.team_roster()?;
        let conv = self.conversation_by_id(conversation_id).await?;
        let (me, supervisor) = self.me().ok_or_else(solo)?;
        let to = to.map(|t| t.trim().to_owned()).filter(|t| !t.is_empty());
        let out = roster
            .transfer(&conv.key, to.as_deref(), &me, revision, supervisor)
            .await?;
        tracing::info!(
            store = %conv.key.store,
            by = %me,
            to = to.as_deref().unwrap_or("(queue)"),
            "team: transfer"
        );
        self.notices.conversations(vec![conversation_id.to_owned()]);
        Ok(ClaimResult {
            owner: out.owner,
            claimed: out.claimed,
        })
    }

    /// This agent's status: `online`, `busy` (no new assignments) or `away`.
    pub fn set_agent_status(&self, status: AgentPresence) -> DeskResult<()> {
        let roster = self.team_roster()?;
        roster.set_status(match status {
            AgentPresence::Online => AgentStatus::Online,
            AgentPresence::Busy => AgentStatus::Busy,
            AgentPresence::Away => AgentStatus::Away,
            AgentPresence::Offline => {
                return Err(DeskError::Invalid(
                    "offline is what a desk becomes when it stops, not a status to set".into(),
                ))
            }
        });
        Ok(())
    }

    /// The conversation on this desk's screen (`None`: none), for colleagues' headers.
    pub fn set_viewing(&self, conversation_id: Option<&str>) -> DeskResult<()> {
        let Some(roster) = self.roster() else {
            return Ok(());
        };
        let key = conversation_id.map(parse_conversation_id).transpose()?;
        roster.set_viewing(key.as_ref());
        Ok(())
    }

    /// The agent is typing in a conversation (`None`: stopped).
    pub fn set_typing(&self, conversation_id: Option<&str>) -> DeskResult<()> {
        let Some(roster) = self.roster() else {
            return Ok(());
        };
        let key = conversation_id.map(parse_conversation_id).transpose()?;
        roster.set_typing(key.as_ref());
        Ok(())
    }

    /// The team's agents with their presence and open conversations, by name.
    pub fn agents(&self) -> DeskResult<Vec<AgentView>> {
        let roster = self.team_roster()?;
        Ok(agent_views(&roster.board(), self.now()))
    }

    /// Team records (agents, owners, presence, settings, shared replies) that did not decode
    /// and were ignored (a newer or broken desk wrote them); each is logged.
    pub fn team_undecodable(&self) -> u64 {
        self.roster().map_or(0, Roster::undecodable)
    }

    /// Waits until the team's buckets have loaded (a CLI call's first read).
    pub async fn team_loaded(&self, timeout: Duration) -> DeskResult<()> {
        self.team_roster()?.loaded(timeout).await.map(|_| ())
    }

    /// The brand's assignment settings.
    pub fn assignment(&self) -> DeskResult<AssignmentView> {
        let board = self.team_roster()?.board();
        Ok(assignment_view(&board))
    }

    /// Changes the brand's assignment settings (supervisors), against the revision read.
    pub async fn set_assignment(&self, view: AssignmentView) -> DeskResult<AssignmentView> {
        let roster = self.team_roster()?;
        let (_, supervisor) = self.me().ok_or_else(solo)?;
        if !supervisor {
            return Err(DeskError::Invalid(
                "only a supervisor may change the assignment settings".into(),
            ));
        }
        let settings = AssignmentSettings {
            v: 1,
            mode: match view.mode {
                AssignmentMode::Manual => AssignMode::Manual,
                AssignmentMode::RoundRobin => AssignMode::RoundRobin,
                AssignmentMode::Balanced => AssignMode::Balanced,
            },
            grace_s: view.grace_seconds,
            close_after_s: view.close_after_seconds,
        };
        let revision = roster.set_settings(&settings, view.revision).await?;
        Ok(AssignmentView { revision, ..view })
    }

    /// The brand's shared quick replies (team mode), first in the picker.
    pub(crate) fn shared_quick_replies(&self) -> Vec<QuickReply> {
        let Some(roster) = self.roster() else {
            return Vec::new();
        };
        roster
            .board()
            .quick
            .values()
            .map(|q| QuickReply {
                id: 0,
                store: None,
                title: q.title.clone(),
                text: q.text.clone(),
                shared: Some(q.id.clone()),
            })
            .collect()
    }

    /// Creates (`id` `None`) or changes a shared quick reply (supervisors).
    pub async fn save_shared_quick_reply(
        &self,
        id: Option<String>,
        title: &str,
        text: &str,
    ) -> DeskResult<QuickReply> {
        let roster = self.team_roster()?;
        let (me, _) = self.me().ok_or_else(solo)?;
        if title.trim().is_empty() {
            return Err(DeskError::Invalid("a quick reply needs a title".into()));
        }
        let id = id.unwrap_or_else(|| format!("q{}", self.now()));
        roster.save_quick(&id, title, text, &me).await?;
        Ok(QuickReply {
            id: 0,
            store: None,
            title: title.trim().to_owned(),
            text: text.trim().to_owned(),
            shared: Some(id),
        })
    }

    /// Deletes a shared quick reply (supervisors).
    pub async fn delete_shared_quick_reply(&self, id: &str) -> DeskResult<()> {
        self.team_roster()?.delete_quick(id).await
    }

    /// The supervisor's wall: agents, stores, the queue and today's chart.
    pub async fn supervisor_wall(&self) -> DeskResult<SupervisorWall> {
        let roster = self.team_roster()?;
        let board = roster.board();
        let now = self.now();
        let day_start =
            now - i64::from(local_second_of_day(TimeMs(now), self.opts.utc_offset_secs)) * 1000;
        let store = &self.store;
        let authors = store.authors_between_async(day_start, now + 1).await?;
        let events = store.reply_events_between_async(day_start, now + 1).await?;
        let policy = store.clock_policy();
        let agents = agent_views(&board, now);
        let first = first_replies(&authors, &events);
        let mut per_agent: BTreeMap<&str, AgentDay> = BTreeMap::new();
        for a in &authors {
            per_agent.entry(a.agent.as_str()).or_default().replies += 1;
        }
        for (event, agent) in &first {
            let Some(replied) = event.replied_at_ms else {
                continue;
            };
            let day = per_agent.entry(agent.as_str()).or_default();
            let waited = replied - event.customer_at_ms;
            day.first_reply_ms.push(waited);
            if event.started_clock {
                day.normal.0 += u32::from(waited <= policy.normal_window_ms);
                day.normal.1 += 1;
            }
            if event.urgent {
                day.urgent.0 += u32::from(waited <= policy.urgent_window_ms);
                day.urgent.1 += 1;
            }
        }
        let wall_agents = agents
            .into_iter()
            .map(|agent| {
                let day = per_agent.remove(agent.name.as_str()).unwrap_or_default();
                WallAgent {
                    replies_today: day.replies,
                    median_first_reply_seconds: median(day.first_reply_ms)
                        .map(|ms| ms as f64 / 1000.0),
                    five_min_rate: ratio(day.normal),
                    urgent_rate: ratio(day.urgent),
                    agent,
                }
            })
            .collect();
        let rates = store
            .reply_rates_async(None, day_start, now + 1, now)
            .await?;
        let platform = match &self.team {
            Some(t) => t.platform_rates().await,
            None => Default::default(),
        };
        let stores = self
            .stores()
            .await?
            .into_iter()
            .map(|s| WallStore {
                five_min_rate: rates
                    .iter()
                    .find(|r| r.store.as_deref() == Some(s.epoi_id.as_str()))
                    .and_then(|r| r.five_min.ratio()),
                platform_five_min: platform.get(&s.epoi_id).and_then(|p| p.five_min.clone()),
                platform_urgent: platform.get(&s.epoi_id).and_then(|p| p.urgent.clone()),
                epoi_id: s.epoi_id,
                name: s.name,
                waiting: s.waiting,
                overdue: s.overdue,
            })
            .collect();
        let running = store.running_clocks_async().await?;
        let queue = running
            .iter()
            .filter_map(|c| {
                let clock = c.clock.as_ref()?;
                let owned = board.owner(&c.key);
                Some(WallQueueItem {
                    conversation_id: conversation_id_of(
                        &c.key.store,
                        c.key.biz_type,
                        c.key.peer_id,
                    ),
                    store_name: self.stores.name(&c.key.store),
                    title: convert::conversation_title(c),
                    deadline_at: clock.deadline_ms,
                    urgent: clock.urgent,
                    owner: owned.map(|o| o.assignment.agent.clone()),
                    revision: owned.map(|o| o.revision),
                })
            })
            .collect();
        Ok(SupervisorWall {
            agents: wall_agents,
            stores,
            queue,
            chart: chart(
                &events,
                day_start,
                now,
                policy.normal_window_ms,
                policy.urgent_window_ms,
            ),
            assignment: assignment_view(&board),
            now,
        })
    }
}

#[derive(Default)]
struct AgentDay {
    replies: u32,
    first_reply_ms: Vec<i64>,
    /// (on time, answered)
    normal: (u32, u32),
    urgent: (u32, u32),
}

fn ratio((on_time, of): (u32, u32)) -> Option<f64> {
    (of > 0).then(|| f64::from(on_time) / f64::from(of))
}

fn median(mut values: Vec<i64>) -> Option<i64> {
    if values.is_empty() {
        return None;
    }
    values.sort_unstable();
    let mid = values.len() / 2;
    Some(if values.len().is_multiple_of(2) {
        (values[mid - 1] + values[mid]) / 2
    } else {
        values[mid]
    })
}

/// Each answered event with the agent whose reply came first after the customer wrote.
fn first_replies<'a>(
    authors: &'a [ReplyAuthor],
    events: &'a [imdesk_store::ReplyEvent],
) -> Vec<(&'a imdesk_store::ReplyEvent, String)> {
    let mut by_conv: HashMap<&ConversationKey, Vec<&ReplyAuthor>> = HashMap::new();
    for a in authors {
        by_conv.entry(&a.key).or_default().push(a);
    }
    events
        .iter()
        .filter(|e| e.replied_at_ms.is_some())
        .filter_map(|e| {
            let replies = by_conv.get(&e.key)?;
            // Oldest first: the first reply at or after the customer's message.
            let first = replies.iter().find(|a| a.at_ms >= e.customer_at_ms)?;
            Some((e, first.agent.clone()))
        })
        .collect()
}

/// Waiting customers and overdue conversations at each 10-minute mark since `day_start`,
/// and now.
fn chart(
    events: &[imdesk_store::ReplyEvent],
    day_start: i64,
    now: i64,
    normal_ms: i64,
    urgent_ms: i64,
) -> Vec<WallPoint> {
    let mut out = Vec::new();
    let mut marks: Vec<i64> = (0..)
        .map(|i| day_start + i * CHART_STEP_MS)
        .take_while(|at| *at <= now)
        .collect();
    // The last point is now, so that the peak under way shows.
    if marks.last() != Some(&now) {
        marks.push(now);
    }
    for at in marks {
        let mut waiting = HashSet::new();
        let mut overdue = HashSet::new();
        for e in events.iter().take_while(|e| e.customer_at_ms <= at) {
            let open = e.replied_at_ms.is_none_or(|r| r > at);
            if !open {
                continue;
            }
            waiting.insert(&e.key);
            let window = if e.urgent { urgent_ms } else { normal_ms };
            if at - e.customer_at_ms > window {
                overdue.insert(&e.key);
            }
        }
        out.push(WallPoint {
            at,
            waiting: u32::try_from(waiting.len()).unwrap_or(u32::MAX),
            overdue: u32::try_from(overdue.len()).unwrap_or(u32::MAX),
        });
    }
    out
}

fn agent_views(board: &Board, now: i64) -> Vec<AgentView> {
    let open = board.open_counts();
    board
        .agents
        .values()
        .map(|a| AgentView {
            name: a.name.clone(),
            supervisor: a.role == Role::Supervisor,
            status: match board.status(&a.name, now) {
                Some(AgentStatus::Online) => AgentPresence::Online,
                Some(AgentStatus::Busy) => AgentPresence::Busy,
                Some(AgentStatus::Away) => AgentPresence::Away,
                None => AgentPresence::Offline,
            },
            capacity: a.capacity,
            open: open.get(a.name.as_str()).copied().unwrap_or(0),
            stores: a.stores.clone(),
        })
        .collect()
}

fn assignment_view(board: &Board) -> AssignmentView {
    let s = &board.settings;
    AssignmentView {
        mode: match s.mode {
            AssignMode::Manual => AssignmentMode::Manual,
            AssignMode::RoundRobin => AssignmentMode::RoundRobin,
            AssignMode::Balanced => AssignmentMode::Balanced,
        },
        grace_seconds: s.grace_s,
        close_after_seconds: s.close_after_s,
        revision: board.settings_revision,
    }
}

/// Tells the UI which conversations' owners, viewers or typists changed, as the board moves.
pub(crate) async fn announce_board(
    mut board: watch::Receiver<Arc<Board>>,
    notices: Notices,
    stop: CancellationToken,
) {
    let mut before = board.borrow().clone();
    loop {
        tokio::select! {
            () = stop.cancelled() => return,
            changed = board.changed() => if changed.is_err() { return },
        }
        let now = board.borrow_and_update().clone();
        let mut keys: HashSet<&String> = HashSet::new();
        for (k, o) in &now.owners {
            if before.owners.get(k).map(|b| b.revision) != Some(o.revision) {
                keys.insert(k);
            }
        }
        for k in before.owners.keys() {
            if !now.owners.contains_key(k) {
                keys.insert(k);
            }
        }
        for (agent, p) in &now.presence {
            let old = before.presence.get(agent);
            if old.map(|o| (&o.viewing, &o.typing)) != Some((&p.viewing, &p.typing)) {
                keys.extend(p.viewing.iter().chain(p.typing.iter()));
                if let Some(o) = old {
                    keys.extend(o.viewing.iter().chain(o.typing.iter()));
                }
            }
        }
        let ids: Vec<String> = keys
            .into_iter()
            .filter_map(|k| parse_conversation_key(k))
            .map(|k| conversation_id_of(&k.store, k.biz_type, k.peer_id))
            .collect();
        notices.conversations(ids);
        if before.agents != now.agents || before.quick != now.quick {
            notices.stores();
        }
        before = now;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use imdesk_store::ReplyEvent;

    fn event(peer: i64, at: i64, replied: Option<i64>, urgent: bool) -> ReplyEvent {
        ReplyEvent {
            key: ConversationKey {
                store: "s".into(),
                biz_type: 1,
                peer_id: peer,
            },
            customer_at_ms: at,
            replied_at_ms: replied,
            urgent,
            started_clock: true,
        }
    }

    #[test]
    fn the_chart_counts_who_waits_and_who_is_overdue_at_each_mark_and_now() {
        let min = 60_000;
        let events = vec![
            event(1, 5 * min, Some(12 * min), false), // waits at 10', answered by 20'
            event(2, 8 * min, None, false),           // waits from 8', overdue from 13'
            event(3, 19 * min, None, true),           // urgent: overdue after 20'
        ];
        let points = chart(&events, 0, 25 * min, 5 * min, min);
        let seen: Vec<(i64, u32, u32)> = points
            .iter()
            .map(|p| (p.at / min, p.waiting, p.overdue))
            .collect();
        assert_eq!(seen, vec![(0, 0, 0), (10, 2, 0), (20, 2, 1), (25, 2, 2)]);
    }

    #[test]
    fn a_first_reply_belongs_to_the_agent_who_answered_first_after_the_customer() {
        let key = ConversationKey {
            store: "s".into(),
            biz_type: 1,
            peer_id: 1,
        };
        let author = |agent: &str, at_ms: i64| ReplyAuthor {
            key: key.clone(),
            msg_id: at_ms,
            agent: agent.into(),
            supervisor: false,
            at_ms,
        };
        let authors = vec![author("a", 100), author("b", 500), author("a", 900)];
        let events = vec![
            event(1, 50, Some(100), false),
            event(1, 400, Some(500), false),
        ];
        let first: Vec<String> = first_replies(&authors, &events)
            .into_iter()
            .map(|(_, a)| a)
            .collect();
        assert_eq!(first, ["a", "b"]);
        assert_eq!(median(vec![3, 1, 2]), Some(2));
        assert_eq!(median(vec![4, 1]), Some(2));
        assert_eq!(median(Vec::new()), None);
    }
}
