//! Store-level IM settings: the IM switch (§4.6–4.7), blocking (§4.8–4.9, evidence checked by
//! [`crate::images`]), review-contact
//! groups (§4.10), the auto-reply robot (§4.11) and reply rates with rights (§4.12).

use serde_json::{json, Value};

use crate::envelope::{ApiError, ApiResult};
use crate::gateway::{biz::Biz, Call};
use crate::images;
use crate::model::BlockRecord;
use crate::state::chat::add_group;
use crate::state::reply::{TARGET_PERCENT, URGENT_TARGET_PERCENT};
use crate::state::store::{GroupKind, Store};
use crate::state::World;

/// businessId 2 answers these with a str, 16 with nothing.
fn str_or_none(call: &Call<'_>) -> Option<Value> {
    (call.business_id == 2).then(|| json!("success"))
}

pub(super) fn get_im_status(call: &Call<'_>, w: &mut World) -> ApiResult {
    let s = &w.stores[call.store()?];
    Biz::nothing(call.biz)?;
    Ok(Some(
        json!({"app_id": w.app_id, "epoiId": s.epoi_id, "im_status": s.im_status}),
    ))
}

pub(super) fn set_im_status(call: &Call<'_>, w: &mut World) -> ApiResult {
    let store = call.store()?;
    let status = Biz::opaque(call.biz, call.business_id)?.req_int("imStatus")?;
    if !(0..=1).contains(&status) {
        return Err(ApiError::param("imStatus must be 0 or 1"));
    }
    w.stores[store].im_status = status as i32;
    Ok(Some(json!("success")))
}

fn user_id(text: &str) -> Result<i64, ApiError> {
    text.trim()
        .parse::<i64>()
        .map_err(|_| ApiError::param("open_user_id must hold a numeric id"))
}

pub(super) fn block(call: &Call<'_>, w: &mut World) -> ApiResult {
    let store = call.store()?;
    let biz = Biz::object(call.biz)?;
    let user = user_id(biz.req_str("open_user_id")?)?;
    let code = biz.req_int("block_code")?;
    if !(1..=3).contains(&code) {
        return Err(ApiError::param("block_code must be 1, 2 or 3"));
    }
    let reason = biz
        .str("block_reason_desc")?
        .filter(|r| !r.trim().is_empty())
        .map(str::to_string);
    if code == 3 && reason.is_none() {
        return Err(ApiError::param(
            "block_reason_desc is required when block_code is 3",
        ));
    }
    let pics: Vec<String> = biz
        .req_str("voucher_pic_ids")?
        .split(',')
        .map(|p| p.trim().to_string())
        .collect();
    if pics.is_empty() || pics.len() > 9 || pics.iter().any(String::is_empty) {
        return Err(ApiError::param(
            "voucher_pic_ids must list 1 to 9 picture ids",
        ));
    }
    let s = &mut w.stores[store];
    if !s.customers.contains_key(&user) {
        return Err(ApiError::param(
            "open_user_id is not a customer of this store",
        ));
    }
    images::check_vouchers(s, &pics).map_err(ApiError::param)?;
    s.blocked.insert(
        user,
        BlockRecord {
            open_user_id: user,
            block_code: code,
            reason,
            voucher_pic_ids: pics,
        },
    );
    Ok(str_or_none(call))
}

pub(super) fn unblock(call: &Call<'_>, w: &mut World) -> ApiResult {
    let store = call.store()?;
    let biz = Biz::object(call.biz)?;
    let text = biz.req_str("open_user_id")?;
    if call.business_id == 16 && text.contains(',') {
        return Err(ApiError::param(
            "businessId 16 unblocks one customer per call",
        ));
    }
    let users = text
        .split(',')
        .map(user_id)
        .collect::<Result<Vec<_>, _>>()?;
    let s = &mut w.stores[store];
    if users.iter().any(|u| !s.blocked.contains_key(u)) {
        return Err(ApiError::param("open_user_id is not blocked"));
    }
    for u in users {
        s.blocked.remove(&u);
    }
    Ok(str_or_none(call))
}

pub(super) fn create_group(call: &Call<'_>, w: &mut World) -> ApiResult {
    let store = call.store()?;
    let biz = Biz::object(call.biz)?;
    if biz.req_int("group_type")? != 1 {
        return Err(ApiError::param("group_type must be 1 (review contact)"));
    }
    let comment_id = biz.req_int("comment_id")?;
    let s = &w.stores[store];
    let author = s
        .comments
        .iter()
        .find(|c| c.comment_id == comment_id)
        .map(|c| c.open_user_id);
    let author =
        author.ok_or_else(|| ApiError::param("comment_id is not a review of this store"))?;
    // [INF] A review-contact group is the review-contact right (rights code 1, §4.12): a store
    // without it is refused, as the merchant back office refuses it. An existing group stays
    // reachable.
    if s.review_group_of(comment_id).is_none() && !holds_review_contact(s, call.now_ms) {
        return Err(ApiError::param(
            "the store does not hold the review-contact right (rights code 1)",
        ));
    }
    let (group_id, new) = match s.review_group_of(comment_id) {
        Some(g) => (g, false),
        None => (
            add_group(
                w,
                store,
                call.now_ms,
                GroupKind::Review {
                    comment_id,
                    open_user_id: author,
                },
            ),
            true,
        ),
    };
    let ctime = w.stores[store].groups.get(&group_id).map_or(0, |g| g.ctime);
    Ok(Some(
        json!({"group_id": group_id, "ctime": ctime, "state": 1, "close_type": "0", "new_group": new.to_string()}),
    ))
}

pub(super) fn get_autosend(call: &Call<'_>, w: &mut World) -> ApiResult {
    let s = &w.stores[call.store()?];
    Biz::nothing(call.biz)?;
    let list: Vec<_> = s
        .autosend
        .iter()
        .map(|a| json!({"type": a.scene, "status": a.status, "sceneName": a.name, "content": a.content}))
        .collect();
    Ok(Some(Value::Array(list)))
}

pub(super) fn set_autosend(call: &Call<'_>, w: &mut World) -> ApiResult {
    let store = call.store()?;
    let biz = Biz::object(call.biz)?;
    let mut changes = Vec::new();
    for item in biz.list("allStatus")? {
        let scene = item.req_int("type")?;
        let status = item.req_int("switchStatus")?;
        if !(0..=1).contains(&status) {
            return Err(ApiError::param("switchStatus must be 0 or 1"));
        }
        if scene != 0
            && !w.stores[store]
                .autosend
                .iter()
                .any(|a| i64::from(a.scene) == scene)
        {
            return Err(ApiError::param("unknown auto-reply scene type"));
        }
        changes.push((scene, status as i32));
    }
    for (scene, status) in changes {
        for a in w.stores[store]
            .autosend
            .iter_mut()
            .filter(|a| scene == 0 || i64::from(a.scene) == scene)
        {
            a.status = status;
        }
    }
    Ok(Some(json!("success")))
}

/// The longest robot reply text the sandbox takes, in characters. \[INF\] The protocol
/// document states no limit; the platform's own merchant pages are believed to keep robot
/// replies short, and this is the sandbox's reading until the live platform says otherwise.
pub const ROBOT_REPLY_MAX_CHARS: usize = 100;

/// The invite-review scene `setAutoSendConfig` acts on (§4.11: only 18 is supported).
const INVITE_REVIEW_SCENE: i32 = 18;

pub(super) fn set_invite_review(call: &Call<'_>, w: &mut World) -> ApiResult {
    let store = call.store()?;
    let biz = Biz::object(call.biz)?;
    if biz.req_int("auto_send_type")? != i64::from(INVITE_REVIEW_SCENE) {
        return Err(ApiError::param(
            "auto_send_type must be 18 (invite a review)",
        ));
    }
    let op = biz.req_int("op_type")?;
    if !(0..=2).contains(&op) {
        return Err(ApiError::param("op_type must be 0, 1 or 2"));
    }
    let status = if op <= 1 {
        Some(biz.req_int("status")?)
    } else {
        biz.int("status")?
    };
    if status.is_some_and(|s| !(0..=1).contains(&s)) {
        return Err(ApiError::param("status must be 0 or 1"));
    }
    let content = if op >= 1 {
        let c = biz.req_str("content")?;
        if c.trim().is_empty() {
            return Err(ApiError::param("content must not be blank"));
        }
        if c.chars().count() > ROBOT_REPLY_MAX_CHARS {
            return Err(ApiError::param(format!(
                "content is longer than {ROBOT_REPLY_MAX_CHARS} characters"
            )));
        }
        Some(c.to_string())
    } else {
        None
    };
    // [INF] The invite-review setting is scene 18 of the robot's list.
    let scene = w.stores[store]
        .autosend
        .iter_mut()
        .find(|a| a.scene == INVITE_REVIEW_SCENE)
        .ok_or_else(|| ApiError::param("the store has no invite-review scene"))?;
    if let Some(st) = status.filter(|_| op <= 1) {
        scene.status = st as i32;
    }
    if let Some(c) = content {
        scene.content = c;
    }
    Ok(Some(json!("success")))
}

pub(super) fn reply_rate(call: &Call<'_>, w: &mut World) -> ApiResult {
    let s = &w.stores[call.store()?];
    Biz::nothing(call.biz)?;
    let (normal, urgent) = percents(s, call.now_ms);
    let reached = normal >= TARGET_PERCENT as f64;
    let urgent_reached = urgent >= URGENT_TARGET_PERCENT as f64;
    // The rights each rate unlocks (the sandbox's rule): the 5-minute rate gives review contact
    // and invite-review; the urgent rate gives blocking and live review updates.
    let mut rights: Vec<(i64, &str)> = Vec::new();
    if reached {
        rights.extend([(1, "评价联系"), (5, "邀请评价")]);
    }
    if urgent_reached {
        rights.extend([(6, "屏蔽恶意顾客"), (3, "实时评价动态")]);
    }
    let two = call.business_id == 2;
    let rights: Vec<_> = rights
        .into_iter()
        .map(|(code, name)| {
            if two {
                json!({"code": code.to_string(), "name": name})
            } else {
                json!({"code": code, "name": name})
            }
        })
        .collect();
    Ok(Some(json!({
        "benefitStatus": i32::from(reached),
        "reversionRate": format!("{normal:.2}%"),
        "targetReversionRate": if two { json!(TARGET_PERCENT) } else { json!(TARGET_PERCENT.to_string()) },
        "urgentBenefitStatus": i32::from(urgent_reached),
        "urgentReversionRate": format!("{urgent:.2}%"),
        "urgentTargetReversionRate": URGENT_TARGET_PERCENT.to_string(),
        "rightsList": rights,
        "tempRightsList": [],
    })))
}

/// The store's 5-minute and urgent reply rates, percent: scripted, or as observed.
fn percents(s: &Store, now_ms: i64) -> (f64, f64) {
    let r = s.replies.rates(now_ms);
    s.replies
        .scripted
        .unwrap_or((r.normal_percent(), r.urgent_percent()))
}

/// Whether the store holds the review-contact right (code 1): the sandbox's rule ties it to the
/// 5-minute rate, as `getReversionRateAndRightsList` reports it.
fn holds_review_contact(s: &Store, now_ms: i64) -> bool {
    percents(s, now_ms).0 >= TARGET_PERCENT as f64
}
