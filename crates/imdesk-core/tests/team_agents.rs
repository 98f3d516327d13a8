//! Team mode II end to end with a real `nats-server`, the sandbox, a relay and several desks:
//! claims are compare-and-set, only the owner (or a supervisor, marked) answers, an offline
//! owner's waiting customer returns to the queue after the grace period, and the assigner
//! balances a dinner peak by deadline and load.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::collections::{BTreeMap, HashSet};
use std::time::Duration;

use common::team_rig::*;
use common::*;
use imdesk_core::convert::conversation_id;
use imdesk_core::team::{Role, TeamConfig};
use imdesk_core::view::{
    AgentPresence, AssignmentMode, ErrorCode, InboxFilter, InboxQuery, IpcError, SendState,
};
use imdesk_core::{Desk, DeskError, DeskOptions};
use imdesk_store::ConversationKey;
use meituan_sandbox::{ChatKind, CustomerMessage, Faults};

fn supervisor(nats: &nats_harness::NatsServer, name: &str) -> TeamConfig {
    TeamConfig {
        role: Role::Supervisor,
        ..team(nats, name)
    }
}

async fn desk_of(cfg: TeamConfig, dir: &std::path::Path) -> Desk {
    let db = dir.join(format!("{}.sqlite3", cfg.agent));
    desk_as(cfg, &db, DeskOptions::fast()).await
}

/// The brand's server (deploy/nats/brand.conf), the sandbox, relay "relay-a" as the relay's
/// user and agent alice as an agent's user.
async fn brand_team_up() -> (
    nats_harness::NatsServer,
    meituan_sandbox::Sandbox,
    tempfile::TempDir,
    std::sync::Arc<Desk>,
    imdesk_core::team::relay::Relay,
    Desk,
) {
    let nats = brand_server();
    let sb = sandbox(Faults::default()).await;
    let dir = tempfile::tempdir().unwrap();
    let (relay_desk, relay) = relay_as(
        &sb,
        as_user(&nats, "relay", "relay-a-CHANGE-ME", "relay-a"),
        &dir.path().join("relay.sqlite3"),
        "relay-a",
    )
    .await;
    let alice = desk_of(
        as_user(&nats, "agent1", "agent1-a-CHANGE-ME", "alice"),
        dir.path(),
    )
    .await;
    (nats, sb, dir, relay_desk, relay, alice)
}

/// Supervisor sue's desk, as the brand's supervisor user.
async fn brand_supervisor(nats: &nats_harness::NatsServer, dir: &std::path::Path) -> Desk {
    desk_of(
        TeamConfig {
            role: Role::Supervisor,
            ..as_user(nats, "supervisor", "supervisor-a-CHANGE-ME", "sue")
        },
        dir,
    )
    .await
}

/// Waits until `desk` has the conversation and every agent in `names` is online.
async fn ready(desk: &Desk, conv: &str, names: &[&str]) {
    desk.team_loaded(Duration::from_secs(10)).await.unwrap();
    eventually(10, "the conversation and the agents", || async {
        desk.detail(conv).await.is_ok()
            && names.iter().all(|n| {
                desk.agents()
                    .unwrap()
                    .iter()
                    .any(|a| a.name == *n && a.status == AgentPresence::Online)
            })
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_agents_claiming_at_once_leave_exactly_one_owner_every_time() {
    let (nats, sb, dir, relay_desk, relay) = team_up().await;
    let alice = desk_of(team(&nats, "alice"), dir.path()).await;
    let bob = desk_of(team(&nats, "bob"), dir.path()).await;
    let conv = says(&sb, "有人吗").await;
    ready(&alice, &conv, &["alice", "bob"]).await;
    ready(&bob, &conv, &["alice", "bob"]).await;

    let mut wins = BTreeMap::new();
    for round in 0..1000 {
        let (a, b) = tokio::join!(alice.claim(&conv), bob.claim(&conv));
        let (a, b) = (a.unwrap(), b.unwrap());
        assert!(a.claimed ^ b.claimed, "round {round}: {a:?} {b:?}");
        assert_eq!(a.owner, b.owner, "round {round}: both see the one owner");
        let owner = a.owner.clone().unwrap();
        *wins.entry(owner.clone()).or_insert(0) += 1;
        // The owner lets it go for the next round.
        let winner = if owner == "alice" { &alice } else { &bob };
        let released = winner.transfer(&conv, None, None).await.unwrap();
        assert_eq!(released.owner, None);
    }
    assert_eq!(wins.values().sum::<u32>(), 1000);

    // Bad input: no such conversation, a transfer to nobody, a stale revision.
    let ghost = conversation_id(&ConversationKey {
        store: sb.stores()[0].epoi_id.clone(),
        biz_type: 1,
        peer_id: 999_999_999,
    });
    let e = alice.claim(&ghost).await.unwrap_err();
    assert_eq!(IpcError::from(e).code, ErrorCode::NotFound);
    alice.claim(&conv).await.unwrap();
    let e = alice
        .transfer(&conv, Some("nobody".into()), None)
        .await
        .unwrap_err();
    assert!(
        matches!(e, DeskError::Invalid(ref m) if m.contains("nobody")),
        "{e}"
    );
    eventually(10, "alice's board shows her claim", || async {
        alice
            .detail(&conv)
            .await
            .unwrap()
            .team
            .is_some_and(|t| t.mine && t.revision.is_some())
    })
    .await;
    let seen = alice.detail(&conv).await.unwrap().team.unwrap().revision;
    alice
        .transfer(&conv, Some("bob".into()), seen)
        .await
        .unwrap();
    // Alice's second hand-over against the revision she saw before is refused: it changed.
    let bob_sup = alice.transfer(&conv, None, seen).await.unwrap_err();
    assert!(
        matches!(bob_sup, DeskError::NotOwner { .. } | DeskError::Conflict(_)),
        "{bob_sup}"
    );
    // Bob owns it now, on both desks, live.
    eventually(10, "bob's ownership reaches alice's inbox row", || async {
        let page = alice
            .inbox(InboxQuery {
                store: None,
                filter: InboxFilter::All,
                offset: 0,
                limit: 10,
            })
            .await
            .unwrap();
        page.rows
            .iter()
            .any(|r| r.id == conv && r.owner.as_deref() == Some("bob"))
    })
    .await;

    bob.shutdown().await;
    alice.shutdown().await;
    stand_down(relay, &relay_desk).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn only_the_owner_answers_and_a_supervisors_reply_is_marked() {
    let (nats, sb, dir, relay_desk, relay) = team_up().await;
    let alice = desk_of(team(&nats, "alice"), dir.path()).await;
    let bob = desk_of(team(&nats, "bob"), dir.path()).await;
    let sue = desk_of(supervisor(&nats, "sue"), dir.path()).await;
    let conv = says(&sb, "我的餐还没到").await;
    for d in [&alice, &bob, &sue] {
        ready(d, &conv, &["alice", "bob", "sue"]).await;
    }

    // Replying in an unowned conversation claims it.
    let queued = alice.send_text(&conv, "马上帮您查").await.unwrap();
    let sent = alice
        .wait_sent(&queued.key, Duration::from_secs(20))
        .await
        .unwrap();
    assert_eq!(sent.send_state, Some(SendState::Sent));
    eventually(10, "bob sees alice own it", || async {
        bob.detail(&conv)
            .await
            .unwrap()
            .team
            .is_some_and(|t| t.owner.as_deref() == Some("alice") && !t.can_reply)
    })
    .await;

    // Bob is refused before anything is written or published.
    let e = bob.send_text(&conv, "我来回复").await.unwrap_err();
    assert!(
        matches!(e, DeskError::NotOwner { ref owner } if owner == "alice"),
        "{e}"
    );
    assert_eq!(IpcError::from(e).code, ErrorCode::NotOwner);

    // The supervisor may, and the reply says so on every desk. Once her desk has applied
    // Alice's reply: a desk behind the stream is held as blind (`colleague_replied`), which is
    // the rule, not what this test is about.
    eventually(10, "sue has seen alice's reply", || async {
        sue.history(&conv, None, 50)
            .await
            .is_ok_and(|h| h.messages.iter().any(|m| m.msg_id == sent.msg_id))
    })
    .await;
    let sue_view = sue.detail(&conv).await.unwrap().team.unwrap();
    assert!(sue_view.can_reply && sue_view.as_supervisor);
    let queued = sue.send_text(&conv, "主管已介入，马上处理").await.unwrap();
    let sent = sue
        .wait_sent(&queued.key, Duration::from_secs(20))
        .await
        .unwrap();
    eventually(10, "alice sees the supervisor's reply marked", || async {
        alice.history(&conv, None, 50).await.is_ok_and(|h| {
            h.messages.iter().any(|m| {
                m.msg_id == sent.msg_id
                    && m.agent.as_deref() == Some("sue")
                    && m.by_supervisor == Some(true)
            }) && h
                .messages
                .iter()
                .any(|m| m.agent.as_deref() == Some("alice") && m.by_supervisor.is_none())
        })
    })
    .await;
    // The platform got both replies and not bob's.
    let store = sb.stores()[0].epoi_id.clone();
    let texts: Vec<String> = sb
        .merchant_messages(&store)
        .unwrap()
        .into_iter()
        .map(|m| m.text)
        .collect();
    assert!(texts.contains(&"主管已介入，马上处理".to_owned()));
    assert!(!texts.contains(&"我来回复".to_owned()));

    // The wall shows each store's platform rates, as the relay's poller read them.
    eventually(
        15,
        "the platform's rates on the supervisor's wall",
        || async {
            sue.supervisor_wall().await.is_ok_and(|w| {
                w.stores
                    .iter()
                    .any(|s| s.epoi_id == store && s.platform_five_min.is_some())
            })
        },
    )
    .await;

    // Two supervisors' settings changes against the same revision: the second is refused.
    let before = sue.assignment().unwrap();
    let mut changed = before.clone();
    changed.mode = AssignmentMode::RoundRobin;
    sue.set_assignment(changed.clone()).await.unwrap();
    changed.mode = AssignmentMode::Balanced;
    let e = sue.set_assignment(changed).await.unwrap_err();
    assert_eq!(IpcError::from(e).code, ErrorCode::Conflict);
    // An agent may not change them at all.
    let e = bob.set_assignment(before).await.unwrap_err();
    assert_eq!(IpcError::from(e).code, ErrorCode::Invalid);

    for d in [sue, bob, alice] {
        d.shutdown().await;
    }
    stand_down(relay, &relay_desk).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_offline_owners_waiting_customer_returns_to_the_queue_after_the_grace_period() {
    let (nats, sb, dir, relay_desk, relay) = team_up().await;
    let sue = desk_of(supervisor(&nats, "sue"), dir.path()).await;
    let alice = desk_of(team(&nats, "alice"), dir.path()).await;
    let conv = says(&sb, "在吗").await;
    ready(&sue, &conv, &["alice", "sue"]).await;
    ready(&alice, &conv, &["alice", "sue"]).await;
    let mut settings = sue.assignment().unwrap();
    settings.grace_seconds = 2;
    sue.set_assignment(settings).await.unwrap();
    assert!(alice.claim(&conv).await.unwrap().claimed);

    // Alice closes her desk; her customer is still waiting.
    alice.shutdown().await;
    eventually(10, "alice offline", || async {
        sue.agents()
            .unwrap()
            .iter()
            .any(|a| a.name == "alice" && a.status == AgentPresence::Offline)
    })
    .await;
    // Not before the grace period, and back in the queue after it.
    let t0 = std::time::Instant::now();
    eventually(15, "the conversation back in the queue", || async {
        sue.detail(&conv)
            .await
            .unwrap()
            .team
            .is_some_and(|t| t.owner.is_none())
    })
    .await;
    assert!(
        t0.elapsed() >= Duration::from_millis(900),
        "{:?}",
        t0.elapsed()
    );

    sue.shutdown().await;
    stand_down(relay, &relay_desk).await;
}

/// A dinner peak from the sandbox: 40 stores, 5 agents of capacity 6, balanced mode; one
/// agent closes their desk mid-peak.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn balanced_assignment_through_a_dinner_peak() {
    let nats = nats_harness::NatsServer::start().unwrap();
    let sb = sandbox_with(PushScope::Developer, Faults::default(), 40).await;
    let dir = tempfile::tempdir().unwrap();
    let (relay_desk, relay) = relay(&sb, &nats, &dir.path().join("relay.sqlite3"), "relay-a").await;
    let names = ["a1", "a2", "a3", "a4", "a5"];
    let mut desks = Vec::new();
    for n in names {
        let cfg = TeamConfig {
            capacity: 6,
            ..team(&nats, n)
        };
        desks.push(desk_of(cfg, dir.path()).await);
    }
    let sue = desk_of(supervisor(&nats, "sue"), dir.path()).await;
    // The supervisor is online too but serves no store: she is never assigned.
    sue.set_agent_status(AgentPresence::Busy).unwrap();
    sue.team_loaded(Duration::from_secs(10)).await.unwrap();
    eventually(10, "every agent online", || async {
        let agents = sue.agents().unwrap();
        names.iter().all(|n| {
            agents
                .iter()
                .any(|a| a.name == *n && a.status == AgentPresence::Online)
        })
    })
    .await;
    let mut settings = sue.assignment().unwrap();
    settings.mode = AssignmentMode::Balanced;
    settings.grace_seconds = 1;
    sue.set_assignment(settings).await.unwrap();

    let stores: Vec<String> = sb.stores().into_iter().map(|s| s.epoi_id).collect();
    let mut convs = Vec::new();
    let wave = |from: usize, n: usize| {
        let mut out = Vec::new();
        for i in from..from + n {
            let store = &stores[i % stores.len()];
            let p = sb
                .customer_says(CustomerMessage::text(
                    store,
                    ChatKind::PreOrder,
                    "晚饭还能送吗",
                ))
                .unwrap();
            out.push(conversation_id(&ConversationKey {
                store: store.clone(),
                biz_type: 1,
                peer_id: p.open_user_id.unwrap(),
            }));
        }
        out
    };
    // First wave: 20 customers for 30 seats.
    convs.extend(wave(0, 20));
    let owned_now = |convs: Vec<String>| {
        let sue = &sue;
        async move {
            let mut owners = BTreeMap::new();
            for c in &convs {
                if let Ok(d) = sue.detail(c).await {
                    if let Some(o) = d.team.and_then(|t| t.owner) {
                        owners.insert(c.clone(), o);
                    }
                }
            }
            owners
        }
    };
    eventually(20, "the first wave assigned", || async {
        owned_now(convs.clone()).await.len() == 20
    })
    .await;
    let owners = owned_now(convs.clone()).await;
    let mut load: BTreeMap<&str, u32> = names.iter().map(|n| (*n, 0)).collect();
    for o in owners.values() {
        *load.get_mut(o.as_str()).unwrap() += 1;
    }
    // Twenty among five equal agents: four each, no more uneven than that.
    assert!(load.values().all(|n| *n == 4), "{load:?}");
    assert!(!owners.values().any(|o| o == "sue"));

    // a5 closes their desk mid-peak; a second wave arrives.
    let a5 = desks.pop().unwrap();
    a5.shutdown().await;
    let left_with_a5: HashSet<String> = owners
        .iter()
        .filter(|(_, o)| *o == "a5")
        .map(|(c, _)| c.clone())
        .collect();
    convs.extend(wave(20, 12));
    // 32 waiting for 4 × 6 = 24 seats: 24 owned by the four online agents, 8 in the queue;
    // none owned by a5 once the grace period is over.
    eventually(30, "the second wave balanced over the four", || async {
        let owners = owned_now(convs.clone()).await;
        let mut load: BTreeMap<&str, u32> = BTreeMap::new();
        for o in owners.values() {
            *load.entry(o.as_str()).or_insert(0) += 1;
        }
        owners.len() == 24
            && !load.contains_key("a5")
            && names[..4].iter().all(|n| load.get(n) == Some(&6))
    })
    .await;
    let wall = sue.supervisor_wall().await.unwrap();
    assert_eq!(wall.queue.len(), 32);
    assert_eq!(wall.queue.iter().filter(|q| q.owner.is_none()).count(), 8);
    // The queue is ordered by deadline, nearest first.
    assert!(wall
        .queue
        .windows(2)
        .all(|w| w[0].deadline_at <= w[1].deadline_at));
    // What a5 held went back to the queue or to colleagues: nobody offline owns anything.
    let owners = owned_now(convs.clone()).await;
    assert!(left_with_a5
        .iter()
        .all(|c| owners.get(c).is_none_or(|o| o != "a5")));
    assert_eq!(
        wall.agents
            .iter()
            .find(|a| a.agent.name == "a5")
            .unwrap()
            .agent
            .status,
        AgentPresence::Offline
    );

    sue.shutdown().await;
    for d in desks {
        d.shutdown().await;
    }
    stand_down(relay, &relay_desk).await;
}

/// Under the brand's NATS permissions (deploy/nats/brand.conf): an agent's desk follows the
/// team's buckets and claims; only the supervisor's user may set the mode or edit the shared
/// quick replies, whatever role a desk says it has; shared replies reach every desk.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn under_the_brands_permissions_only_a_supervisor_sets_the_mode_and_shared_replies() {
    let (nats, sb, dir, relay_desk, relay, alice) = brand_team_up().await;
    // An agent's credentials on a desk that calls itself a supervisor.
    let pretender = desk_of(
        TeamConfig {
            role: Role::Supervisor,
            ..as_user(&nats, "agent1", "agent1-a-CHANGE-ME", "mallory")
        },
        dir.path(),
    )
    .await;
    let sue = brand_supervisor(&nats, dir.path()).await;
    let conv = says(&sb, "你好").await;
    for d in [&alice, &pretender, &sue] {
        ready(d, &conv, &["alice", "sue"]).await;
    }
    assert!(alice.claim(&conv).await.unwrap().claimed);
    // An agent's write that asks for a rollup would wipe every owner: the server refuses it.
    {
        let client = imdesk_core::team::connect(
            &as_user(&nats, "agent1", "agent1-a-CHANGE-ME", "mallory"),
            "rollup attempt",
        )
        .await
        .unwrap();
        let js = async_nats::jetstream::new(client);
        let mut headers = async_nats::HeaderMap::new();
        headers.insert("Nats-Rollup", "sub");
        let refused = match js
            .publish_with_headers("$KV.ASSIGN.x.1-1", headers, "{}".into())
            .await
        {
            Ok(ack) => ack.await.is_err(),
            Err(_) => true,
        };
        assert!(refused, "a rollup on ASSIGN was accepted");
        let owner = alice.detail(&conv).await.unwrap().team.unwrap().owner;
        assert_eq!(owner.as_deref(), Some("alice"));
    }

    let mut settings = pretender.assignment().unwrap();
    settings.mode = AssignmentMode::Balanced;
    let e = pretender
        .set_assignment(settings.clone())
        .await
        .unwrap_err();
    assert_eq!(IpcError::from(e).code, ErrorCode::Invalid);
    let e = pretender
        .save_shared_quick_reply(None, "催单", "马上为您催")
        .await
        .unwrap_err();
    assert_eq!(IpcError::from(e).code, ErrorCode::Invalid);
    sue.set_assignment(settings).await.unwrap();
    let shared = sue
        .save_shared_quick_reply(None, "致歉", "非常抱歉让您久等了")
        .await
        .unwrap();
    eventually(
        10,
        "the mode and the shared reply on alice's desk",
        || async {
            alice
                .assignment()
                .is_ok_and(|a| a.mode == AssignmentMode::Balanced)
                && alice.quick_replies(None).await.is_ok_and(|q| {
                    q.iter()
                        .any(|r| r.shared == shared.shared && r.text == "非常抱歉让您久等了")
                })
        },
    )
    .await;

    for d in [sue, pretender, alice] {
        d.shutdown().await;
    }
    stand_down(relay, &relay_desk).await;
}

/// A picture an agent sends goes through the relay, under the brand's permissions: larger than
/// NATS carries in one message, it travels through the object store, the relay uploads it with
/// the store's credentials, and the customer gets it once, as the URL every desk then shows.
/// What the platform refuses fails on the agent's desk with the reason.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_picture_larger_than_a_nats_message_goes_through_the_relay() {
    use imdesk_core::view::{MessageBody, SendState};
    let (_nats, sb, _dir, relay_desk, relay, alice) = brand_team_up().await;
    let conv = says(&sb, "餐洒了，你看看").await;
    ready(&alice, &conv, &["alice"]).await;
    let store = sb.stores()[0].clone();
    assert_eq!(
        store.business_id, 16,
        "image upload needs a businessId-16 store"
    );
    let detail = alice.detail(&conv).await.unwrap();
    assert!(detail.can_send_images);
    // Blocking is the supervisor's decision: not offered to an agent, and refused.
    assert!(!detail.can_block);
    let e = alice
        .block_customer(
            &conv,
            imdesk_core::view::BlockRequest {
                reason: imdesk_core::view::BlockReason::Harassment,
                description: None,
                evidence: vec![picture(
                    "proof.png",
                    b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR0123456789",
                )],
            },
        )
        .await
        .unwrap_err();
    assert!(e.to_string().contains("only a supervisor"), "{e}");

    // 1.5 MB: a PNG by its signature, over the server's 1 MB max_payload.
    let png = png_of(1_500_000, 0x5a);
    let queued = alice
        .send_image(&conv, picture("spill.png", &png))
        .await
        .unwrap();
    let sent = alice
        .wait_sent(&queued.key, Duration::from_secs(30))
        .await
        .unwrap();
    assert_eq!(sent.send_state, Some(SendState::Sent), "{sent:?}");
    let url = sent.text.clone().expect("a sent picture shows its URL");

    let uploads = sb.uploads(&store.epoi_id).unwrap();
    assert_eq!(uploads.len(), 1);
    assert_eq!(
        uploads[0].size,
        png.len(),
        "every byte reached the platform"
    );
    assert_eq!(uploads[0].pic_url, url);
    let pictures: Vec<_> = sb
        .merchant_messages(&store.epoi_id)
        .unwrap()
        .into_iter()
        .filter(|m| m.msg_type == 2)
        .collect();
    assert_eq!(pictures.len(), 1);
    assert_eq!(pictures[0].text, url);
    eventually(10, "the picture in the mirrored history", || async {
        alice.history(&conv, None, 20).await.is_ok_and(|h| {
            h.messages.iter().any(|m| {
                m.body == MessageBody::Image
                    && m.text.as_deref() == Some(url.as_str())
                    && m.send_state == Some(SendState::Sent)
            })
        })
    })
    .await;

    // Not a picture: refused on the desk, nothing travels.
    let e = alice
        .send_image(&conv, picture("notes.txt", b"hello"))
        .await
        .unwrap_err();
    assert_eq!(IpcError::from(e).code, ErrorCode::BadImage);
    assert_eq!(sb.uploads(&store.epoi_id).unwrap().len(), 1);

    // The platform refuses the upload (the API gone): the agent's picture fails with the
    // relay's reason, and nothing reaches the customer.
    sb.set_faults(Faults {
        missing: vec!["uploadNoWater".into()],
        ..Faults::default()
    });
    let queued = alice
        .send_image(&conv, picture("second.png", &png[..4096]))
        .await
        .unwrap();
    let failed = alice
        .wait_sent(&queued.key, Duration::from_secs(30))
        .await
        .unwrap_err();
    assert!(
        matches!(failed, DeskError::SendFailed { ref reason, .. } if reason.contains("404")),
        "the agent is told the relay's reason: {failed:?}"
    );
    assert_eq!(sb.uploads(&store.epoi_id).unwrap().len(), 1);
    let pictures = sb
        .merchant_messages(&store.epoi_id)
        .unwrap()
        .into_iter()
        .filter(|m| m.msg_type == 2)
        .count();
    assert_eq!(pictures, 1);

    alice.shutdown().await;
    stand_down(relay, &relay_desk).await;
}

/// A supervisor blocks an abusive customer from her team desk, under the brand's permissions:
/// the relay uploads the evidence and blocks on the platform, and every desk's composer closes;
/// lifting the block opens them again.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_supervisor_blocks_through_the_relay_and_every_desk_sees_it() {
    use imdesk_core::view::{BlockReason, BlockRequest, ComposeBlock};
    let (nats, sb, dir, relay_desk, relay, alice) = brand_team_up().await;
    let sue = brand_supervisor(&nats, dir.path()).await;
    let conv = says(&sb, "加我微信，给你返现").await;
    for d in [&alice, &sue] {
        ready(d, &conv, &["alice", "sue"]).await;
    }
    let store = sb.stores()[0].epoi_id.clone();
    let user: i64 = conv.rsplit('|').next().unwrap().parse().unwrap();
    assert!(sue.detail(&conv).await.unwrap().can_block);

    let shot = |tag: u8| picture(&format!("e{tag}.png"), &png_of(80, tag));
    sue.block_customer(
        &conv,
        BlockRequest {
            reason: BlockReason::WechatFraud,
            description: None,
            evidence: vec![shot(1), shot(2)],
        },
    )
    .await
    .unwrap();
    let blocked = sb.blocked(&store).unwrap();
    assert_eq!(blocked.len(), 1);
    assert_eq!((blocked[0].open_user_id, blocked[0].block_code), (user, 2));
    assert_eq!(
        blocked[0].voucher_pic_ids.len(),
        2,
        "the evidence went with it"
    );
    let closed = sue.detail(&conv).await.unwrap();
    assert_eq!(closed.compose_block, Some(ComposeBlock::CustomerBlocked));
    eventually(10, "alice's composer closes", || async {
        alice
            .detail(&conv)
            .await
            .is_ok_and(|d| d.row.blocked && d.compose_block == Some(ComposeBlock::CustomerBlocked))
    })
    .await;
    let e = alice.send_text(&conv, "您好").await.unwrap_err();
    assert_eq!(IpcError::from(e).code, ErrorCode::CustomerBlocked);

    sue.unblock_customer(&conv).await.unwrap();
    assert!(sb.blocked(&store).unwrap().is_empty());
    eventually(10, "alice's composer opens again", || async {
        alice
            .detail(&conv)
            .await
            .is_ok_and(|d| !d.row.blocked && d.compose_block.is_none())
    })
    .await;

    // A desk that starts later learns the blocks from the bucket.
    sue.block_customer(
        &conv,
        BlockRequest {
            reason: BlockReason::Harassment,
            description: None,
            evidence: vec![shot(3)],
        },
    )
    .await
    .unwrap();
    let bob = desk_of(
        as_user(&nats, "agent1", "agent1-a-CHANGE-ME", "bob"),
        dir.path(),
    )
    .await;
    ready(&bob, &conv, &["bob"]).await;
    eventually(10, "a later desk's composer is closed", || async {
        bob.detail(&conv)
            .await
            .is_ok_and(|d| d.compose_block == Some(ComposeBlock::CustomerBlocked))
    })
    .await;

    for d in [bob, sue, alice] {
        d.shutdown().await;
    }
    stand_down(relay, &relay_desk).await;
}

/// Two relays: exactly one holds the assigner's lease; when it drains, the other takes over
/// and assigns. A record in the agents' bucket that does not decode is ignored and counted.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn with_two_relays_one_assigns_and_the_other_takes_over() {
    let nats = nats_harness::NatsServer::start().unwrap();
    let sb = sandbox(Faults::default()).await;
    let dir = tempfile::tempdir().unwrap();
    let (desk_a, relay_a) = relay_with_sockets(
        &sb,
        team(&nats, "relay-a"),
        &dir.path().join("a.sqlite3"),
        "relay-a",
        Some(3),
    )
    .await;
    let (desk_b, relay_b) = relay_with_sockets(
        &sb,
        team(&nats, "relay-b"),
        &dir.path().join("b.sqlite3"),
        "relay-b",
        Some(2),
    )
    .await;
    let client = async_nats::connect(nats.url()).await.unwrap();
    let js = async_nats::jetstream::new(client);
    let lease = js.get_key_value("LEASE").await.unwrap();
    let holder = || async {
        lease
            .get("assigner")
            .await
            .ok()
            .flatten()
            .map(|v| String::from_utf8_lossy(&v).into_owned())
    };
    eventually(10, "one relay holds the lease", || async {
        holder().await.is_some()
    })
    .await;
    let first = holder().await.unwrap();
    assert!(first == "relay-a" || first == "relay-b", "{first}");

    // Garbage in the agents' bucket: ignored, counted, nothing else disturbed.
    let agents = js.get_key_value("AGENTS").await.unwrap();
    agents.put("broken", "\u{0}not json".into()).await.unwrap();
    let sue = desk_of(supervisor(&nats, "sue"), dir.path()).await;
    let alice = desk_of(team(&nats, "alice"), dir.path()).await;
    let conv = says(&sb, "有人吗").await;
    ready(&sue, &conv, &["sue", "alice"]).await;
    eventually(10, "the broken record counted", || async {
        sue.team_undecodable() >= 1
    })
    .await;
    assert!(sue.agents().unwrap().iter().all(|a| a.name != "broken"));

    // The holder drains; the other relay takes the lease and assigns (balanced mode).
    let ((held_relay, held_desk), (other_relay, other_desk), other_id) = if first == "relay-a" {
        ((relay_a, desk_a), (relay_b, desk_b), "relay-b")
    } else {
        ((relay_b, desk_b), (relay_a, desk_a), "relay-a")
    };
    stand_down(held_relay, &held_desk).await;
    eventually(20, "the other relay holds the lease", || async {
        holder().await.as_deref() == Some(other_id)
    })
    .await;
    sue.set_agent_status(AgentPresence::Busy).unwrap();
    let mut settings = sue.assignment().unwrap();
    settings.mode = AssignmentMode::Balanced;
    sue.set_assignment(settings).await.unwrap();
    eventually(20, "the waiting customer assigned to alice", || async {
        sue.detail(&conv)
            .await
            .unwrap()
            .team
            .is_some_and(|t| t.owner.as_deref() == Some("alice"))
    })
    .await;

    alice.shutdown().await;
    sue.shutdown().await;
    stand_down(other_relay, &other_desk).await;
}
