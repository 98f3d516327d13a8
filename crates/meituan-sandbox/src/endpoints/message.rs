//! `msg/send` (§4.3), `msgRead` (§4.4) and `userReadTime` (§4.5).
//!
//! `msg/send` checks `push_content` for its `biz_type`: the allowed `msg_type`s, the ids each
//! chat needs, the scene fields of a two-party message, `msg_source` 1, 10-digit `cts`, and a `msg_content` that decrypts under the
//! current imSecret (for images, the URL of a picture the platform serves: see
//! [`crate::images`]). It refuses sends to blocked customers, to
//! two-party chats whose order completed more than 48 hours ago, and when the store's IM switch
//! is off. A `msg_id` the developer already used is the same message: success, recorded once.

use std::sync::atomic::Ordering;

use serde_json::json;

use crate::cipher;
use crate::envelope::{ApiCode, ApiError, ApiResult};
use crate::gateway::{biz::Biz, Call};
use crate::images;
use crate::model::MerchantMessage;
use crate::state::store::GroupKind;
use crate::state::World;

fn param(msg: &str) -> ApiError {
    ApiError::param(msg)
}

pub(super) fn send(call: &Call<'_>, w: &mut World) -> ApiResult {
    let store = call.store()?;
    let biz = Biz::object(call.biz)?;
    let biz_type = biz.req_int("biz_type")?;
    if ![1, 4, 5, 6].contains(&biz_type) {
        return Err(param("biz_type must be 1, 4, 5 or 6"));
    }
    biz.str("extended_field")?;
    let pc = biz
        .obj("push_content")?
        .ok_or_else(|| param("push_content is required (an object)"))?;
    let msg_id = pc.req_int("msg_id")?;
    if msg_id <= 0 {
        return Err(param("msg_id must be a positive int64"));
    }
    let msg_type = pc.req_int("msg_type")?;
    let allowed: &[i64] = if biz_type == 1 { &[1, 2, 3] } else { &[0, 2] };
    if !allowed.contains(&msg_type) {
        return Err(param("msg_type is not valid for this biz_type"));
    }
    if pc.req_int("msg_source")? != 1 {
        return Err(param("msg_source must be 1 (merchant)"));
    }
    let cts = pc.req_int("cts")?;
    if !(1_000_000_000..10_000_000_000).contains(&cts) {
        return Err(param("cts must be Unix seconds (10 digits)"));
    }
    let content = pc.req_str("msg_content")?;
    if w.stores[store].im_status != 1 {
        return Err(ApiError::new(
            ApiCode::ImClosed,
            "the store's IM switch is off",
        ));
    }
    if w.sent_msg_ids.contains_key(&msg_id) {
        // The same message again (a retry): already accepted once.
        return Ok(None);
    }
    // Under the secret of the store's connection scope: its own when store-scoped.
    let text = cipher::decrypt(w.secret_for(Some(store)), content)
        .map_err(|e| param(&format!("msg_content: {e}")))?;
    let image = match msg_type {
        2 => Some(images::image_message(w, &call.app.gateway_url, &text).map_err(ApiError::param)?),
        0 | 1 if text.trim().is_empty() => return Err(param("msg_content is empty")),
        _ => None,
    };
    let (open_user_id, order_id, group_id) = check_conversation(call, w, store, biz_type, &pc)?;
    let s = &mut w.stores[store];
    if let Some(user) = open_user_id.filter(|_| biz_type == 1) {
        s.replies.on_merchant(user, call.now_ms);
    }
    s.merchant_msgs.push(MerchantMessage {
        msg_id,
        epoi_id: s.epoi_id.clone(),
        biz_type: biz_type as i32,
        msg_type: msg_type as i32,
        text,
        image,
        open_user_id,
        order_id,
        group_id,
        cts,
        received_at_ms: call.now_ms,
    });
    w.sent_msg_ids.insert(msg_id, store);
    call.app
        .counters
        .merchant_messages
        .fetch_add(1, Ordering::Relaxed);
    Ok(None)
}

type Ids = (Option<i64>, Option<i64>, Option<i64>);

/// Checks the ids each biz_type needs against the store's state.
fn check_conversation(
    call: &Call<'_>,
    w: &World,
    store: usize,
    biz_type: i64,
    pc: &Biz,
) -> Result<Ids, ApiError> {
    let s = &w.stores[store];
    let blocked = |user: i64| -> Result<(), ApiError> {
        if s.blocked.contains_key(&user) {
            return Err(ApiError::new(
                ApiCode::UserBlocked,
                "the customer is blocked by this store",
            ));
        }
        Ok(())
    };
    match biz_type {
        1 => {
            let user = pc.req_int("open_user_id")?;
            let order_id = pc.req_int("order_id")?;
            check_scene(pc)?;
            if !s.customers.contains_key(&user) {
                return Err(param("open_user_id is not a customer of this store"));
            }
            blocked(user)?;
            // [INF] A chat before any order names order 0, as this sandbox's pushes do.
            if order_id != 0 {
                let o = s
                    .orders
                    .get(&order_id)
                    .ok_or_else(|| param("order_id is not an order of this store"))?;
                if o.open_user_id != user {
                    return Err(param("order_id belongs to another customer"));
                }
                if o.chat_expired(call.now_ms) {
                    return Err(ApiError::new(
                        ApiCode::ChatExpired,
                        "the order completed more than 48 hours ago",
                    ));
                }
            }
            Ok((Some(user), Some(order_id), None))
        }
        4 => {
            let comment_id = pc.req_int("comment_id")?;
            let group_id = pc.req_int("group_id")?;
            match s.group(group_id).map(|g| &g.kind) {
                Some(GroupKind::Review { comment_id: c, .. }) if *c == comment_id => {
                    Ok((None, None, Some(group_id)))
                }
                _ => Err(param(
                    "group_id is not the review-contact group of comment_id",
                )),
            }
        }
        5 => {
            let group_id = pc.req_int("group_id")?;
            let name = pc.req_str("group_name")?;
            match s.group(group_id).map(|g| &g.kind) {
                Some(GroupKind::Fans { name: n, .. }) if n == name => {
                    Ok((None, None, Some(group_id)))
                }
                Some(GroupKind::Fans { .. }) => Err(param("group_name does not match the group")),
                _ => Err(param("group_id is not a fans group of this store")),
            }
        }
        _ => {
            let group_id = pc.req_int("group_id")?;
            let user = pc.req_int("open_user_id")?;
            let rider = pc.req_int("rider_id")?;
            match s.group(group_id).map(|g| &g.kind) {
                Some(GroupKind::Rider {
                    open_user_id,
                    rider_id,
                    order_id,
                }) if *open_user_id == user && *rider_id == rider => {
                    blocked(user)?;
                    Ok((Some(user), Some(*order_id), Some(group_id)))
                }
                _ => Err(param(
                    "group_id, open_user_id and rider_id do not name a rider chat of this store",
                )),
            }
        }
    }
}

/// The scene fields §4.3 marks "needed when biz_type is 1": `scene_tag` (`-1` normal, above
/// 0 a scene), `scene_name` (a string; empty exactly for a normal message) and `has_reply`
/// (`0`, `1` or `2`). Their absence is refused even though a merchant's reply has no scene:
/// the SDK's `PushContent` requires them.
fn check_scene(pc: &Biz) -> Result<(), ApiError> {
    let tag = pc.req_int("scene_tag")?;
    if tag != -1 && tag <= 0 {
        return Err(param("scene_tag must be -1 (normal) or a scene above 0"));
    }
    let name = pc.str("scene_name")?.ok_or_else(|| {
        param("scene_name is required for biz_type 1 (empty for a normal message)")
    })?;
    if (tag == -1) != name.is_empty() {
        return Err(param(
            "scene_name must be empty for a normal message and name the scene otherwise",
        ));
    }
    if !(0..=2).contains(&pc.req_int("has_reply")?) {
        return Err(param("has_reply must be 0, 1 or 2"));
    }
    Ok(())
}

pub(super) fn read(call: &Call<'_>, w: &mut World) -> ApiResult {
    let store = call.store()?;
    let biz = Biz::opaque(call.biz, call.business_id)?;
    let user = biz.req_int("openUserId")?;
    let msg_id = biz.req_int("msgId")?;
    match w.customer_msgs.get(&msg_id) {
        Some(m) if m.store == store && m.open_user_id == user => {}
        _ => {
            return Err(param(
                "msgId is not a message of this customer to this store",
            ))
        }
    }
    w.stores[store].merchant_read.insert(msg_id);
    Ok(Some(json!("success")))
}

pub(super) fn user_read_time(call: &Call<'_>, w: &mut World) -> ApiResult {
    let store = call.store()?;
    let biz = Biz::opaque(call.biz, call.business_id)?;
    let user = biz.req_int("openUserId")?;
    let s = &w.stores[store];
    let c = s
        .customers
        .get(&user)
        .ok_or_else(|| param("openUserId is not a customer of this store"))?;
    Ok(Some(json!({
        "app_id": w.app_id,
        "epoiId": s.epoi_id,
        "open_user_id": user.to_string(),
        "last_read_time": c.last_read_time_ms,
    })))
}
