//! Turning a scripted customer message into a consistent push: the customer, order and group
//! it refers to exist (or are created) and agree with each other.

use rand::Rng;
use serde_json::{json, Map, Value};

use super::gen::{make_order, new_customer, GROUP_BASE, MSG_BASE};
use super::reply::URGENT_TAGS;
use super::store::{status, Group, GroupKind};
use super::{CustomerMsgRef, World};
use crate::customers::lexicon;
use crate::error::{Result, SandboxError};
use crate::images;
use crate::model::{ChatKind, Content, CustomerMessage, Pushed};
use crate::push::PushItem;

/// Who speaks about what.
struct Resolved {
    customer: i64,
    order_id: Option<i64>,
    group_id: Option<i64>,
    comment_id: Option<i64>,
    rider_id: Option<i64>,
    group_name: Option<String>,
}

/// Records `msg` as sent by a customer at `now_ms` and returns the push to deliver.
pub(crate) fn customer_message(
    w: &mut World,
    msg: &CustomerMessage,
    now_ms: i64,
    gateway_url: &str,
) -> Result<(Pushed, PushItem)> {
    let store = w
        .store_index(&msg.epoi_id)
        .ok_or_else(|| SandboxError::UnknownStore(msg.epoi_id.clone()))?;
    let group_chat = msg.chat.biz_type() != 1;
    let (msg_type, plain) = match &msg.content {
        Content::Text(t) if t.is_empty() => return Err(SandboxError::Invalid("empty text".into())),
        Content::Text(t) => (if group_chat { 0 } else { 1 }, t.clone()),
        Content::Image(n) => (
            2,
            images::image_url(gateway_url, *n)
                .ok_or_else(|| SandboxError::Invalid(format!("no image {n}")))?,
        ),
    };
    let r = resolve(w, store, msg, now_ms)?;
    if let Some(c) = w.stores[store].customers.get_mut(&r.customer) {
        c.has_written = true;
    }
    let at_ms = msg.at_ms.unwrap_or(now_ms);
    let cts = at_ms / 1000;
    let msg_id = MSG_BASE + w.next_id();
    let biz_type = msg.chat.biz_type();
    let mut f = Map::new();
    f.insert("msg_id".into(), json!(msg_id));
    f.insert("msg_type".into(), json!(msg_type));
    f.insert("msg_source".into(), json!(2));
    f.insert("cts".into(), json!(cts));
    let mut put = |k: &str, v: Option<Value>| {
        if let Some(v) = v {
            f.insert(k.into(), v);
        }
    };
    let scene_tag = (biz_type == 1).then_some(msg.scene_tag);
    put("order_id", r.order_id.map(Value::from));
    put("open_user_id", (biz_type != 4).then(|| json!(r.customer)));
    put("scene_tag", scene_tag.map(Value::from));
    put(
        "scene_name",
        scene_tag.map(|t| json!(lexicon::scene_name(t))),
    );
    put("has_reply", (biz_type == 1).then(|| json!(1)));
    put("comment_id", r.comment_id.map(Value::from));
    put("group_id", r.group_id.map(Value::from));
    put("group_name", r.group_name.clone().map(Value::from));
    put("rider_id", r.rider_id.map(Value::from));
    let s = &mut w.stores[store];
    if biz_type == 1 {
        let urgent = URGENT_TAGS.contains(&msg.scene_tag);
        s.replies
            .on_customer(&s.epoi_id, r.customer, msg_id, at_ms, urgent);
    }
    w.customer_msgs.insert(
        msg_id,
        CustomerMsgRef {
            store,
            open_user_id: r.customer,
        },
    );
    let pushed = Pushed {
        msg_id,
        epoi_id: msg.epoi_id.clone(),
        biz_type,
        msg_type,
        open_user_id: (biz_type != 4).then_some(r.customer),
        order_id: r.order_id,
        group_id: r.group_id,
        comment_id: r.comment_id,
        rider_id: r.rider_id,
        scene_tag,
        cts,
    };
    let item = PushItem {
        epoi_id: msg.epoi_id.clone(),
        biz_type,
        plain,
        fields: f,
        open_user_id: r.customer,
        frame: Default::default(),
    };
    Ok((pushed, item))
}

fn resolve(w: &mut World, store: usize, msg: &CustomerMessage, now_ms: i64) -> Result<Resolved> {
    let epoi = msg.epoi_id.clone();
    let invalid = |what: &str| SandboxError::Invalid(what.to_string());
    // An explicit group or order names its customer.
    let mut customer = msg.open_user_id;
    let group = match msg.group_id {
        Some(id) => Some(
            w.stores[store]
                .group(id)
                .cloned()
                .ok_or_else(|| invalid("unknown group"))?,
        ),
        None => None,
    };
    if let Some(g) = &group {
        match (&g.kind, msg.chat) {
            (GroupKind::Review { open_user_id, .. }, ChatKind::Review)
            | (GroupKind::Rider { open_user_id, .. }, ChatKind::Rider) => {
                customer = Some(*open_user_id)
            }
            (GroupKind::Fans { .. }, ChatKind::Fans) => {}
            _ => return Err(invalid("group does not match the chat kind")),
        }
    }
    if let Some(order_id) = msg.order_id {
        let o = w.stores[store]
            .orders
            .get(&order_id)
            .ok_or(SandboxError::UnknownOrder {
                store: epoi.clone(),
                order_id,
            })?;
        if customer.is_some_and(|c| c != o.open_user_id) {
            return Err(invalid("order belongs to another customer"));
        }
        customer = Some(o.open_user_id);
    }
    if msg.chat == ChatKind::Review && group.is_none() {
        let comments = &w.stores[store].comments;
        let mine: Vec<_> = comments
            .iter()
            .filter(|c| customer.is_none_or(|u| u == c.open_user_id))
            .collect();
        if mine.is_empty() {
            return Err(invalid("no review to contact about"));
        }
        let c = mine[w.rng.random_range(0..mine.len())].clone();
        customer = Some(c.open_user_id);
        let gid = match w.stores[store].review_group_of(c.comment_id) {
            Some(g) => g,
            None => add_group(
                w,
                store,
                now_ms,
                GroupKind::Review {
                    comment_id: c.comment_id,
                    open_user_id: c.open_user_id,
                },
            ),
        };
        return finish(w, store, customer, Some(gid), None, now_ms);
    }
    finish(
        w,
        store,
        customer,
        group.map(|g| g.group_id),
        msg.order_id,
        now_ms,
    )
    .and_then(|mut r| {
        complete_kind(w, store, msg, &mut r, now_ms)?;
        Ok(r)
    })
}

fn finish(
    w: &mut World,
    store: usize,
    customer: Option<i64>,
    group: Option<i64>,
    order: Option<i64>,
    _now: i64,
) -> Result<Resolved> {
    let epoi = w.stores[store].epoi_id.clone();
    let customer = match customer {
        Some(c) if w.stores[store].customers.contains_key(&c) => c,
        Some(c) => {
            return Err(SandboxError::UnknownCustomer {
                store: epoi,
                open_user_id: c,
            })
        }
        None => pick_customer(w, store),
    };
    if w.stores[store].blocked.contains_key(&customer) {
        return Err(SandboxError::CustomerBlocked {
            store: epoi,
            open_user_id: customer,
        });
    }
    let mut r = Resolved {
        customer,
        order_id: order,
        group_id: group,
        comment_id: None,
        rider_id: None,
        group_name: None,
    };
    if let Some(Group {
        kind: GroupKind::Review { comment_id, .. },
        ..
    }) = group.and_then(|g| w.stores[store].group(g))
    {
        r.comment_id = Some(*comment_id);
    }
    Ok(r)
}

/// Fills in the order and group facts each chat kind needs.
fn complete_kind(
    w: &mut World,
    store: usize,
    msg: &CustomerMessage,
    r: &mut Resolved,
    now_ms: i64,
) -> Result<()> {
    let invalid = |what: &str| SandboxError::Invalid(what.to_string());
    match msg.chat {
        ChatKind::PreOrder => r.order_id = Some(0),
        ChatKind::InProgress => {
            let id = r.order_id.or_else(|| open_order_of(w, store, r.customer));
            let id =
                id.unwrap_or_else(|| make_order(w, store, r.customer, status::ACCEPTED, now_ms));
            if is_closed(w, store, id) {
                return Err(invalid("order is not in progress"));
            }
            r.order_id = Some(id);
        }
        ChatKind::Completed => {
            let id = match r.order_id {
                Some(id) => id,
                None => w.stores[store]
                    .orders
                    .values()
                    .find(|o| {
                        o.open_user_id == r.customer
                            && o.status == status::COMPLETED
                            && !o.chat_expired(now_ms)
                    })
                    .map(|o| o.order_id)
                    .unwrap_or_else(|| {
                        make_order(
                            w,
                            store,
                            r.customer,
                            status::COMPLETED,
                            now_ms - 30 * 60_000,
                        )
                    }),
            };
            let o = &w.stores[store].orders[&id];
            if o.status != status::COMPLETED {
                return Err(invalid("order is not completed"));
            }
            if o.chat_expired(now_ms) {
                return Err(SandboxError::ChatExpired { order_id: id });
            }
            r.order_id = Some(id);
        }
        ChatKind::Review => {}
        ChatKind::Fans => {
            let gid = match r
                .group_id
                .or_else(|| w.stores[store].fans_group().map(|g| g.group_id))
            {
                Some(g) => g,
                None => {
                    let name = format!("{}粉丝群1", lexicon::BRAND);
                    let kind = GroupKind::Fans {
                        name,
                        intro: "进群领券".into(),
                        welcome: "欢迎入群".into(),
                        members: vec![],
                    };
                    add_group(w, store, now_ms, kind)
                }
            };
            if let Some(Group {
                kind: GroupKind::Fans { name, members, .. },
                ..
            }) = w.stores[store].groups.get_mut(&gid)
            {
                if !members.contains(&r.customer) {
                    members.push(r.customer);
                }
                r.group_name = Some(name.clone());
            }
            r.group_id = Some(gid);
        }
        ChatKind::Rider => {
            if let Some(Group {
                kind:
                    GroupKind::Rider {
                        order_id, rider_id, ..
                    },
                ..
            }) = r.group_id.and_then(|g| w.stores[store].group(g))
            {
                r.order_id = Some(*order_id);
                r.rider_id = Some(*rider_id);
                return Ok(());
            }
            let id = r.order_id.or_else(|| open_order_of(w, store, r.customer));
            let id =
                id.unwrap_or_else(|| make_order(w, store, r.customer, status::DELIVERING, now_ms));
            if is_closed(w, store, id) {
                return Err(invalid("rider chats are about orders in progress"));
            }
            let rider_id = w.stores[store].orders[&id].rider_id;
            let existing = w.stores[store].groups.values().find_map(|g| match g.kind {
                GroupKind::Rider { order_id, .. } if order_id == id => Some(g.group_id),
                _ => None,
            });
            let gid = existing.unwrap_or_else(|| {
                add_group(
                    w,
                    store,
                    now_ms,
                    GroupKind::Rider {
                        order_id: id,
                        open_user_id: r.customer,
                        rider_id,
                    },
                )
            });
            r.group_id = Some(gid);
            r.order_id = Some(id);
            r.rider_id = Some(rider_id);
        }
    }
    Ok(())
}

fn is_closed(w: &World, store: usize, order_id: i64) -> bool {
    w.stores[store]
        .orders
        .get(&order_id)
        .is_none_or(|o| matches!(o.status, status::COMPLETED | status::CANCELLED))
}

fn open_order_of(w: &World, store: usize, customer: i64) -> Option<i64> {
    w.stores[store]
        .orders
        .values()
        .find(|o| {
            o.open_user_id == customer && !matches!(o.status, status::COMPLETED | status::CANCELLED)
        })
        .map(|o| o.order_id)
}

/// A random customer of `store` who is not blocked (a new one if all are), preferring one who
/// has not written yet: a message that names no customer starts a new conversation while the
/// store has customers who never wrote, so scripted messages never land in one another's chat
/// by chance.
pub(crate) fn pick_customer(w: &mut World, store: usize) -> i64 {
    let s = &w.stores[store];
    let unblocked = |c: &&i64| !s.blocked.contains_key(*c);
    let silent: Vec<i64> = s
        .customers
        .iter()
        .filter(|(id, c)| !c.has_written && unblocked(id))
        .map(|(id, _)| *id)
        .collect();
    let free: Vec<i64> = if silent.is_empty() {
        s.customers.keys().filter(unblocked).copied().collect()
    } else {
        silent
    };
    if free.is_empty() {
        return new_customer(w, store);
    }
    free[w.rng.random_range(0..free.len())]
}

/// Adds a group of `kind` to `store` and returns its id.
pub(crate) fn add_group(w: &mut World, store: usize, now_ms: i64, kind: GroupKind) -> i64 {
    let group_id = GROUP_BASE + w.next_id();
    w.stores[store].groups.insert(
        group_id,
        Group {
            group_id,
            ctime: now_ms / 1000,
            kind,
        },
    );
    group_id
}
