//! Context endpoints for the chat side cards (§5): order detail, store info, review list.
//! The data are the generated world's, so the order a chat refers to is the order shown.

use serde_json::{json, Value};

use crate::customers::lexicon::MENU;
use crate::envelope::{ApiCode, ApiError, ApiResult};
use crate::gateway::{biz::Biz, Call};
use crate::state::store::{status, Order, Store};
use crate::state::World;

fn yuan(fen: i64) -> f64 {
    fen as f64 / 100.0
}

pub(super) fn order(call: &Call<'_>, w: &mut World) -> ApiResult {
    let s = &w.stores[call.store()?];
    let id = Biz::object(call.biz)?.req_int("orderId")?;
    // Either id finds the order: which one IM's order_id is remains open question 6.
    let o = s
        .orders
        .get(&id)
        .or_else(|| s.orders.values().find(|o| o.order_id_view == id))
        .ok_or_else(|| ApiError::param("orderId is not an order of this store"))?;
    let c = s.customers.get(&o.open_user_id);
    let name = c.map_or("", |c| c.name.as_str());
    let phone = c.map_or("", |c| c.phone.as_str());
    let address = c.map_or("", |c| c.address.as_str());
    let goods = o.goods_fen();
    let completed = o.completed_at_ms.map_or(0, |ms| ms / 1000);
    let logistics = match o.status {
        status::COMPLETED => 40,
        status::DELIVERING => 20,
        _ => 10,
    };
    if call.business_id == 2 {
        let detail: Vec<_> = o
            .lines
            .iter()
            .map(|l| {
                let (food, price, unit) = MENU[l.item % MENU.len()];
                json!({"app_food_code": format!("F{:03}", l.item + 1), "food_name": food, "quantity": l.quantity,
                       "price": yuan(price), "unit": unit, "spec": "", "food_property": "", "box_num": 1, "box_price": 0.0})
            })
            .collect();
        Ok(Some(json!({
            "orderId": o.order_id, "orderIdView": o.order_id_view, "status": o.status, "daySeq": o.day_seq,
            "cTime": o.created_at, "orderSendTime": o.created_at, "orderConfirmTime": o.confirmed_at,
            "orderCompletedTime": completed, "uTime": completed.max(o.confirmed_at), "deliveryTime": 0,
            "estimateArrivalTime": o.estimate_arrival, "detail": Value::Array(detail).to_string(),
            "total": yuan(goods + o.shipping_fee_fen), "originalPrice": yuan(goods + o.shipping_fee_fen),
            "shippingFee": yuan(o.shipping_fee_fen), "payType": 2, "caution": o.caution,
            "recipientName": name, "recipientPhone": phone, "backupRecipientPhone": "[]",
            "recipientAddress": address, "recipientAddressDesensitization": address,
            "poiId": 10_000 + o.day_seq, "ePoiId": s.epoi_id, "poiName": s.name, "poiAddress": s.address, "poiPhone": s.phone,
            "logisticsStatus": logistics, "logisticsName": "美团专送", "logisticsDispatcherName": o.rider_name,
            "logisticsDispatcherMobile": "1xxxxxxxxxx_8888", "logisticsFetchTime": o.confirmed_at + 900,
            "logisticsCompletedTime": completed, "pickType": 0, "hasInvoiced": 0, "invoiceTitle": "", "taxpayerId": "",
            "extras": "[]", "incmpCode": 0, "incmpModules": [],
        })))
    } else {
        Ok(Some(order_16(s, o, name, phone, address, completed, goods)))
    }
}

fn order_16(
    s: &Store,
    o: &Order,
    name: &str,
    phone: &str,
    address: &str,
    completed: i64,
    goods: i64,
) -> Value {
    let detail: Vec<_> = o
        .lines
        .iter()
        .enumerate()
        .map(|(k, l)| {
            let (food, price, unit) = MENU[l.item % MENU.len()];
            json!({"foodName": food, "quantity": l.quantity, "price": yuan(price), "unit": unit, "spec": "",
                   "foodProperty": "", "appFoodCode": format!("F{:03}", l.item + 1), "skuId": format!("S{:03}", l.item + 1),
                   "boxNum": 1, "boxPrice": 0.0, "detailId": o.order_id * 10 + k as i64, "subDetailList": []})
        })
        .collect();
    json!({
        "orderId": o.order_id_view, "status": o.status, "daySeq": o.day_seq, "wmPoiId": s.epoi_id,
        "total": yuan(goods + o.shipping_fee_fen), "originalPrice": yuan(goods + o.shipping_fee_fen),
        "shippingFee": yuan(o.shipping_fee_fen), "payType": 2, "pickType": 0, "caution": o.caution,
        "recipientName": name, "recipientAddress": address, "recipientPhone": phone, "userIdView": o.open_user_id,
        "estimateArrivalTime": o.estimate_arrival, "deliveryTime": 0, "orderSendTime": o.created_at,
        "orderConfirmTime": o.confirmed_at, "orderCompletedTime": completed,
        "orderCancelTime": if o.status == status::CANCELLED { o.confirmed_at } else { 0 }, "detail": detail,
    })
}

pub(super) fn poi(call: &Call<'_>, w: &mut World) -> ApiResult {
    let biz = Biz::object(call.biz)?;
    let key = if call.business_id == 2 {
        "ePoiIds"
    } else {
        "epoiIds"
    };
    let mut out = Vec::new();
    for id in biz.req_str(key)?.split(',').map(str::trim) {
        let s = w.store_index(id).map(|i| &w.stores[i]);
        let s = s.ok_or_else(|| {
            ApiError::new(
                ApiCode::StoreUnknown,
                "an ePoiId is not a store of this developer",
            )
        })?;
        out.push(if call.business_id == 2 {
            json!({"ePoiId": s.epoi_id, "name": s.name, "address": s.address, "phone": s.phone, "pictureUrl": "",
                   "isOnline": 1, "isOpen": 1, "openTime": "10:00-22:00", "noticeInfo": "欢迎光临", "shippingFee": 3.0,
                   "tagName": "面馆", "logisticsCodes": "1001"})
        } else {
            json!({"app_id": w.app_id, "epoiId": s.epoi_id, "name": s.name, "address": s.address, "pic_url": "",
                   "phone": s.phone, "shipping_time": "10:00-22:00", "open_level": 1, "is_online": 1,
                   "tag_name": "面馆", "logistics_codes": "1001"})
        });
    }
    Ok(Some(Value::Array(out)))
}

pub(super) fn comments(call: &Call<'_>, w: &mut World) -> ApiResult {
    let s = &w.stores[call.store()?];
    let biz = Biz::opaque(call.biz, call.business_id)?;
    let start = biz.req_str("startTime")?.parse::<i64>().ok();
    let end = biz.req_str("endTime")?.parse::<i64>().ok();
    let offset = biz.req_int("offset")?;
    let limit = biz.req_int("limit")?;
    if offset < 0 || !(1..=100).contains(&limit) {
        return Err(ApiError::param("offset must be ≥ 0 and limit 1 to 100"));
    }
    let reply = biz.int("replyStatus")?.unwrap_or(-1);
    if !(-1..=1).contains(&reply) {
        return Err(ApiError::param("replyStatus must be -1, 0 or 1"));
    }
    let list: Vec<_> = s
        .comments
        .iter()
        .filter(|c| start.is_none_or(|t| c.time >= t) && end.is_none_or(|t| c.time <= t) && reply != 1)
        .skip(usize::try_from(offset).unwrap_or(usize::MAX))
        .take(usize::try_from(limit).unwrap_or(0))
        .map(|c| {
            let items: Vec<_> = s.orders.get(&c.order_id).map_or_else(Vec::new, |o| {
                o.lines.iter().map(|l| json!({"food_name": MENU[l.item % MENU.len()].0, "count": l.quantity})).collect()
            });
            let mut v = json!({"comment_id": c.comment_id, "comment_content": c.text, "comment_time": c.time,
                "add_comment": "", "add_comment_time": 0, "order_comment_score": c.score, "food_comment_score": c.score,
                "delivery_comment_score": c.score, "packing_score": c.score, "comment_lables": "", "comment_pictures": "",
                "praise_food_list": "", "critic_food_list": "", "comment_order_detail": items, "reply_status": 0,
                "e_reply_content": "", "e_reply_time": 0, "over_delivery_time_desc": ""});
            if call.business_id == 16 {
                v["user_id"] = json!(c.open_user_id);
            }
            v
        })
        .collect();
    Ok(Some(Value::Array(list)))
}
