//! Fans-group and coupon endpoints (§4.13), as far as the document describes them.
//!
//! The SDK models `queryStoreFansGroup`, `queryEnterCouponActivity` and `queryCoupon` as single
//! objects; the sandbox answers with the object at the requested page or cursor (\[INF\]).

use serde_json::{json, Value};

use crate::customers::lexicon::BRAND;
use crate::envelope::{ApiError, ApiResult};
use crate::gateway::{biz::Biz, Call};
use crate::state::chat::add_group;
use crate::state::store::{Coupon, EnterActivity, GroupKind, Store};
use crate::state::World;

/// Fans groups one store may build.
const MAX_GROUPS: usize = 3;

fn fans_groups(s: &Store) -> Vec<(i64, &str, &str, &str, usize)> {
    s.groups
        .values()
        .filter_map(|g| match &g.kind {
            GroupKind::Fans {
                name,
                intro,
                welcome,
                members,
            } => Some((
                g.group_id,
                name.as_str(),
                intro.as_str(),
                welcome.as_str(),
                members.len(),
            )),
            _ => None,
        })
        .collect()
}

/// Whether the store may build another fans group.
fn may_build(s: &Store) -> bool {
    !s.fans.barred && fans_groups(s).len() < MAX_GROUPS
}

fn fans_group(s: &Store, id: i64) -> Result<(), ApiError> {
    match s.group(id).map(|g| &g.kind) {
        Some(GroupKind::Fans { .. }) => Ok(()),
        _ => Err(ApiError::param("groupId is not a fans group of this store")),
    }
}

fn page(biz: &Biz, size_key: &str) -> Result<usize, ApiError> {
    let page = biz.int("page")?.unwrap_or(1);
    let size = biz.int(size_key)?.unwrap_or(20);
    if page < 1 || size < 1 {
        return Err(ApiError::param("page and pageSize start at 1"));
    }
    usize::try_from((page - 1) * size).map_err(|_| ApiError::param("page too large"))
}

pub(super) fn have_build(call: &Call<'_>, w: &mut World) -> ApiResult {
    let s = &w.stores[call.store()?];
    Biz::nothing(call.biz)?;
    Ok(Some(json!({"status": may_build(s)})))
}

pub(super) fn create_group(call: &Call<'_>, w: &mut World) -> ApiResult {
    let store = call.store()?;
    let biz = Biz::object(call.biz)?;
    let intro = biz.req_str("groupIntro")?.to_string();
    let welcome = biz.req_str("groupWelcomeMsg")?.to_string();
    let coupon = match biz.obj("groupEnterCoupon")? {
        Some(c) => Some((
            c.req_int("price")?,
            c.req_int("limitPrice")?,
            c.req_int("validity")?,
        )),
        None => None,
    };
    if coupon.is_some_and(|(p, l, v)| p <= 0 || p >= l || v <= 0) {
        return Err(ApiError::param(
            "groupEnterCoupon needs 0 < price < limitPrice and validity > 0",
        ));
    }
    let n = fans_groups(&w.stores[store]).len();
    if !may_build(&w.stores[store]) {
        return Err(ApiError::param("the store cannot build more fans groups"));
    }
    let name = format!("{BRAND}粉丝{}群", n + 1);
    let kind = GroupKind::Fans {
        name: name.clone(),
        intro,
        welcome,
        members: Vec::new(),
    };
    let group_id = add_group(w, store, call.now_ms, kind);
    if let Some((price, limit_price, validity)) = coupon {
        let activity_id = w.next_id();
        let created = call.now_ms / 1000;
        let a = EnterActivity {
            activity_id,
            group_id,
            price,
            limit_price,
            validity,
            created,
            ended: 0,
        };
        w.stores[store].fans.activities.push(a);
    }
    Ok(Some(json!({"groupId": group_id, "groupName": name})))
}

pub(super) fn query_group(call: &Call<'_>, w: &mut World) -> ApiResult {
    let s = &w.stores[call.store()?];
    let at = page(&Biz::object(call.biz)?, "pageSize")?;
    let groups = fans_groups(s);
    Ok(Some(groups.get(at).map_or_else(|| json!({}), |(id, name, intro, welcome, members)| {
        json!({"groupId": id, "groupName": name, "groupIndex": at + 1, "memberCount": members, "groupAnnounce": welcome,
               "groupIntro": intro, "groupEntrance": 0, "status": 1})
    })))
}

pub(super) fn create_activity(call: &Call<'_>, w: &mut World) -> ApiResult {
    let store = call.store()?;
    let biz = Biz::object(call.biz)?;
    let group_id = biz.req_int("groupId")?;
    let (price, limit_price, validity) = (
        biz.req_int("price")?,
        biz.req_int("limitPrice")?,
        biz.req_int("validity")?,
    );
    fans_group(&w.stores[store], group_id)?;
    if price <= 0 || price >= limit_price || validity <= 0 {
        return Err(ApiError::param(
            "needs 0 < price < limitPrice and validity > 0",
        ));
    }
    if w.stores[store]
        .fans
        .activities
        .iter()
        .any(|a| a.group_id == group_id && a.ended == 0)
    {
        return Err(ApiError::param(
            "the group already has a running join-group coupon",
        ));
    }
    let activity_id = w.next_id();
    let a = EnterActivity {
        activity_id,
        group_id,
        price,
        limit_price,
        validity,
        created: call.now_ms / 1000,
        ended: 0,
    };
    w.stores[store].fans.activities.push(a);
    Ok(None)
}

pub(super) fn query_activity(call: &Call<'_>, w: &mut World) -> ApiResult {
    let s = &w.stores[call.store()?];
    let biz = Biz::object(call.biz)?;
    let index = biz.int("index")?.unwrap_or(0);
    let size = biz.int("size")?.unwrap_or(10);
    if index < 0 || size <= 1 {
        return Err(ApiError::param("index must be ≥ 0 and size > 1"));
    }
    let want = match biz.str("status")? {
        None => None,
        Some("1") => Some(true),
        Some("-1") => Some(false),
        Some(_) => return Err(ApiError::param("status must be \"1\" or \"-1\"")),
    };
    let list: Vec<_> = s
        .fans
        .activities
        .iter()
        .filter(|a| want.is_none_or(|v| v == (a.ended == 0)))
        .collect();
    let i = usize::try_from(index).unwrap_or(usize::MAX);
    Ok(Some(list.get(i).map_or_else(|| json!({"index": index, "hasMore": false}), |a| {
        json!({"index": index + 1, "hasMore": i + 1 < list.len(), "activityId": a.activity_id, "price": a.price,
               "limitPrice": a.limit_price, "valid": if a.ended == 0 { 1 } else { -1 }, "validity": a.validity,
               "cTime": a.created, "endTime": a.ended})
    })))
}

pub(super) fn revoke_activity(call: &Call<'_>, w: &mut World) -> ApiResult {
    let store = call.store()?;
    let biz = Biz::object(call.biz)?;
    let (group_id, activity_id) = (biz.req_int("groupId")?, biz.req_int("activityId")?);
    let now = call.now_ms / 1000;
    let a = w.stores[store]
        .fans
        .activities
        .iter_mut()
        .find(|a| a.activity_id == activity_id && a.group_id == group_id && a.ended == 0);
    a.ok_or_else(|| ApiError::param("no running activity with this groupId and activityId"))?
        .ended = now;
    Ok(None)
}

pub(super) fn send_coupon(call: &Call<'_>, w: &mut World) -> ApiResult {
    let store = call.store()?;
    let biz = Biz::object(call.biz)?;
    let group_id = biz.req_int("groupId")?;
    let valid_time = biz.req_int("validTime")?;
    let count = biz.req_int("count")?;
    let act_type = biz.req_int("actType")?;
    let activity_valid = biz.req_int("activityValidTime")?;
    fans_group(&w.stores[store], group_id)?;
    if valid_time <= 0 || activity_valid <= 0 || !(1..=9999).contains(&count) {
        return Err(ApiError::param(
            "validTime and activityValidTime must be > 0 and count 1 to 9999",
        ));
    }
    let (mut price, mut limit_price, mut discount) = (0, 0, 0);
    match act_type {
        1 => {
            (price, limit_price) = (biz.req_int("price")?, biz.req_int("limitPrice")?);
            if limit_price <= 0 || price * 100 < limit_price * 3 || price * 100 > limit_price * 50 {
                return Err(ApiError::param("price must be 3 to 50 % of limitPrice"));
            }
        }
        2 => {
            let food = if call.business_id == 2 {
                biz.str("app_food_code")?.is_some()
            } else {
                biz.int("app_food_code")?.is_some()
            };
            if !food && biz.int("spuId")?.is_none() {
                return Err(ApiError::param(
                    "an item coupon needs app_food_code or spuId",
                ));
            }
            discount = biz.req_int("discount")?;
            if !(0..=98).contains(&discount) {
                return Err(ApiError::param("discount must be 0 to 98"));
            }
        }
        _ => return Err(ApiError::param("actType must be 1 or 2")),
    }
    if w.stores[store].fans.remain <= 0 {
        return Err(ApiError::param("no coupon quota left this month"));
    }
    let config_id = format!("cp{}", w.next_id());
    let created = call.now_ms / 1000;
    let f = &mut w.stores[store].fans;
    f.remain -= 1;
    f.coupons.push(Coupon {
        config_id: config_id.clone(),
        group_id,
        act_type,
        count,
        price,
        limit_price,
        discount,
        valid_time,
        created,
        ends: created + activity_valid,
    });
    Ok(Some(json!({"couponConfigId": config_id})))
}

pub(super) fn query_coupon(call: &Call<'_>, w: &mut World) -> ApiResult {
    let s = &w.stores[call.store()?];
    let biz = Biz::object(call.biz)?;
    let size = biz.int("pageSize")?.unwrap_or(20).max(1);
    let at = page(&biz, "pageSize")?;
    let total = s.fans.coupons.len() as i64;
    let now = call.now_ms / 1000;
    Ok(Some(s.fans.coupons.get(at).map_or_else(|| json!({"totalPage": (total + size - 1) / size, "total": total}), |c| {
        json!({"totalPage": (total + size - 1) / size, "total": total, "couponConfigId": c.config_id,
               "couponName": if c.act_type == 1 { "粉丝群满减券" } else { "粉丝群商品券" }, "price": c.price,
               "limitPrice": c.limit_price, "status": if now < c.ends { 1 } else { 2 }, "createTime": c.created.to_string(),
               "endTime": c.ends.to_string(), "validTime": c.valid_time, "remain": c.count, "discount": c.discount,
               "skuName": "", "category": c.act_type})
    })))
}

pub(super) fn coupon_detail(call: &Call<'_>, w: &mut World) -> ApiResult {
    let s = &w.stores[call.store()?];
    let id = Biz::object(call.biz)?
        .req_str("couponConfigId")?
        .to_string();
    let c = s
        .fans
        .coupons
        .iter()
        .find(|c| c.config_id == id)
        .ok_or_else(|| ApiError::param("unknown couponConfigId"))?;
    let members: Vec<i64> = match s.group(c.group_id).map(|g| &g.kind) {
        Some(GroupKind::Fans { members, .. }) => members
            .iter()
            .take(usize::try_from(c.count).unwrap_or(0))
            .copied()
            .collect(),
        _ => Vec::new(),
    };
    // A third of the claimed coupons are used; none expired yet.
    let used: Vec<i64> = members.iter().step_by(3).copied().collect();
    let unused: Vec<i64> = members
        .iter()
        .filter(|m| !used.contains(m))
        .copied()
        .collect();
    Ok(Some(
        json!({"sendNum": members.len(), "useNum": used.len(), "unUseNum": unused.len(), "expireNum": 0,
                   "used": used, "unUsed": unused, "expire": Value::Array(vec![])}),
    ))
}

pub(super) fn remain(call: &Call<'_>, w: &mut World) -> ApiResult {
    let s = &w.stores[call.store()?];
    let group_id = Biz::object(call.biz)?.req_int("groupId")?;
    fans_group(s, group_id)?;
    Ok(Some(json!({"remainCouponNum": s.fans.remain})))
}
