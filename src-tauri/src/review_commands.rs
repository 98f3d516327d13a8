//! Tauri commands of review contact and fans groups: each calls one `imdesk-core` method.
//! The window has asked a supervisor to confirm before anything that costs money.

use std::sync::Arc;

use imdesk_core::fans::{FansCouponForm, JoinCouponForm, NewFansGroup, SentFansCoupon, StoreFans};
use imdesk_core::reviews::{ReviewContact, StoreReviews};
use imdesk_core::view::IpcError;
use tauri::State;

use crate::host::DeskHost;

type Host<'a> = State<'a, Arc<DeskHost>>;
type Reply<T> = Result<T, IpcError>;

/// A store's recent reviews (the last `days` days) and its review-contact right.
#[tauri::command]
pub async fn store_reviews(
    host: Host<'_>,
    store: String,
    days: Option<u32>,
) -> Reply<StoreReviews> {
    Ok(host.desk().await?.store_reviews(&store, days).await?)
}

/// Starts (or reopens) a review contact on a review; its conversation is in the inbox.
#[tauri::command]
pub async fn start_review_contact(
    host: Host<'_>,
    store: String,
    comment_id: String,
) -> Reply<ReviewContact> {
    Ok(host
        .desk()
        .await?
        .start_review_contact(&store, &comment_id)
        .await?)
}

/// A store's fans groups, join-group coupons, coupons and quota.
#[tauri::command]
pub async fn store_fans(host: Host<'_>, store: String) -> Reply<StoreFans> {
    Ok(host.desk().await?.store_fans(&store).await?)
}

/// Creates a fans group (supervisors, confirmed).
#[tauri::command]
pub async fn create_fans_group(
    host: Host<'_>,
    store: String,
    group: NewFansGroup,
) -> Reply<StoreFans> {
    Ok(host.desk().await?.create_fans_group(&store, group).await?)
}

/// Starts a join-group coupon in a fans group (supervisors, confirmed).
#[tauri::command]
pub async fn start_join_coupon(
    host: Host<'_>,
    store: String,
    group_id: String,
    coupon: JoinCouponForm,
) -> Reply<StoreFans> {
    Ok(host
        .desk()
        .await?
        .start_join_coupon(&store, &group_id, coupon)
        .await?)
}

/// Sends a coupon into a fans group (supervisors, confirmed).
#[tauri::command]
pub async fn send_fans_coupon(
    host: Host<'_>,
    store: String,
    coupon: FansCouponForm,
) -> Reply<SentFansCoupon> {
    Ok(host.desk().await?.send_fans_coupon(&store, coupon).await?)
}
