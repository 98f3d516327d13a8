//! The demo-mode customers. Every tick each open conversation looks at what the merchant sent:
//! a new answer is first read (the read time advances), then answered with the script's next
//! line; a customer ignored past `escalate_after` presses ("在吗？？"), then complains with the
//! urgent scene tag. New conversations start at `chatter_per_minute` across the stores, spread
//! over pre-order questions, orders in progress, after-sale complaints (with scene tags and
//! photos), review contact, fans groups and rider chats. Choices come from a seeded RNG.

use rand::{rngs::StdRng, Rng, SeedableRng};
use std::sync::Arc;

use super::lexicon::{self, Script};
use crate::app::Shared;
use crate::clock;
use crate::model::{ChatKind, CustomerMessage};

/// Most conversations the simulation keeps open at once.
const MAX_OPEN: usize = 40;

#[derive(Debug)]
struct Conversation {
    epoi_id: String,
    kind: ChatKind,
    script: &'static Script,
    line: usize,
    open_user_id: Option<i64>,
    order_id: Option<i64>,
    group_id: Option<i64>,
    last_said_ms: i64,
    read_answer: bool,
    escalations: usize,
    done: bool,
}

/// Runs until the sandbox shuts down.
pub(crate) async fn run(app: Arc<Shared>) {
    let mut rng = StdRng::seed_from_u64(app.config.seed ^ 0xC4A7_7E55);
    let tick = app.config.chatter_tick;
    let p_new = (app.config.chatter_per_minute * tick.as_secs_f64() / 60.0).min(1.0);
    let mut open: Vec<Conversation> = Vec::new();
    loop {
        tokio::select! {
            () = app.cancel.cancelled() => return,
            () = tokio::time::sleep(tick) => {}
        }
        if open.len() < MAX_OPEN && rng.random::<f64>() < p_new {
            if let Some(c) = start(&app, &mut rng) {
                open.push(c);
            }
        }
        for c in &mut open {
            step(&app, &mut rng, c);
        }
        open.retain(|c| !c.done);
    }
}

fn start(app: &Shared, rng: &mut StdRng) -> Option<Conversation> {
    let stores = app.store_infos();
    if stores.is_empty() {
        return None;
    }
    let epoi_id = stores[rng.random_range(0..stores.len())].epoi_id.clone();
    let roll = rng.random_range(0..100);
    let (kind, scripts) = match roll {
        0..25 => (ChatKind::PreOrder, lexicon::PRE_ORDER),
        25..55 => (ChatKind::InProgress, lexicon::IN_PROGRESS),
        55..80 => (ChatKind::Completed, lexicon::COMPLETED),
        80..86 => (ChatKind::Review, lexicon::REVIEW),
        86..92 => (ChatKind::Fans, lexicon::FANS),
        _ => (ChatKind::Rider, lexicon::RIDER),
    };
    let script = lexicon::pick(rng, scripts);
    let mut c = Conversation {
        epoi_id,
        kind,
        script,
        line: 0,
        open_user_id: None,
        order_id: None,
        group_id: None,
        last_said_ms: 0,
        read_answer: false,
        escalations: 0,
        done: false,
    };
    say(app, &mut c, script.lines[0], script.scene_tag)?;
    // After-sale complaints about the food often come with a photo.
    if kind == ChatKind::Completed && script.scene_tag > 0 && rng.random_bool(0.5) {
        let n = rng.random_range(1..=crate::images::IMAGE_COUNT);
        let msg = target(&c, CustomerMessage::image(c.epoi_id.clone(), kind, n));
        let _ = app.customer_says(&msg);
    }
    Some(c)
}

fn target(c: &Conversation, mut msg: CustomerMessage) -> CustomerMessage {
    msg.open_user_id = c
        .open_user_id
        .filter(|_| c.kind != ChatKind::Fans && c.kind != ChatKind::Review);
    msg.order_id = c.order_id.filter(|id| *id != 0);
    msg.group_id = c.group_id;
    msg
}

/// Says `text`; `None` when the platform refuses (blocked, chat closed), which ends the chat.
fn say(app: &Shared, c: &mut Conversation, text: &str, scene_tag: i32) -> Option<()> {
    let msg = target(
        c,
        CustomerMessage::text(c.epoi_id.clone(), c.kind, text).scene(scene_tag),
    );
    match app.customer_says(&msg) {
        Ok(p) => {
            c.open_user_id = c.open_user_id.or(p.open_user_id);
            c.order_id = c.order_id.or(p.order_id);
            c.group_id = c.group_id.or(p.group_id);
            c.last_said_ms = clock::now_ms();
            c.read_answer = false;
            Some(())
        }
        Err(_) => {
            c.done = true;
            None
        }
    }
}

/// Whether the merchant answered this conversation since the customer last spoke.
fn answered(app: &Shared, c: &Conversation) -> bool {
    let Ok(sent) = app.merchant_messages(&c.epoi_id) else {
        return false;
    };
    sent.iter()
        .rev()
        .take_while(|m| m.received_at_ms >= c.last_said_ms)
        .any(|m| match c.kind {
            ChatKind::PreOrder | ChatKind::InProgress | ChatKind::Completed => {
                m.biz_type == 1 && m.open_user_id == c.open_user_id
            }
            _ => m.group_id.is_some() && m.group_id == c.group_id,
        })
}

fn step(app: &Shared, rng: &mut StdRng, c: &mut Conversation) {
    if c.done {
        return;
    }
    let now = clock::now_ms();
    if answered(app, c) {
        c.escalations = 0;
        if !c.read_answer {
            if let Some(user) = c.open_user_id {
                let _ = app.customer_reads(&c.epoi_id, user);
            }
            c.read_answer = true;
            return;
        }
        // Customers take a moment to answer; some just leave.
        if rng.random_bool(0.5) {
            return;
        }
        c.line += 1;
        match c.script.lines.get(c.line) {
            Some(line) => {
                let _ = say(app, c, line, -1);
            }
            None => c.done = true,
        }
        return;
    }
    let waited = now - c.last_said_ms;
    let patience = i64::try_from(app.config.escalate_after.as_millis()).unwrap_or(i64::MAX);
    if waited > patience {
        match lexicon::ESCALATIONS.get(c.escalations) {
            Some((text, tag)) if c.kind.biz_type() == 1 => {
                c.escalations += 1;
                let _ = say(app, c, text, *tag);
            }
            _ => c.done = true,
        }
    }
}
