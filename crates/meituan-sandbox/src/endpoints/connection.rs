//! `getConnectionToken` and `getConnectionTokenWithCount` (§4.1, §4.2).

use serde_json::json;

use crate::envelope::{ApiError, ApiResult};
use crate::gateway::{biz::Biz, Call};
use crate::state::World;

/// Most tokens one `getConnectionTokenWithCount` call hands out.
const MAX_TOKENS: i64 = 5;

pub(super) fn token(call: &Call<'_>, w: &mut World) -> ApiResult {
    Biz::nothing(call.biz)?;
    let token = w.issue_conn_token(call.now_ms);
    Ok(Some(json!({
        "connectionToken": token,
        "connectionId": format!("{}_WMOPEN", w.app_id),
        "imSecret": w.im_secret,
        "userCount": call.app.hub.undelivered_users(),
    })))
}

pub(super) fn tokens_with_count(call: &Call<'_>, w: &mut World) -> ApiResult {
    let biz = Biz::object(call.biz)?;
    let n = biz.req_int("required_token_count")?;
    if !(1..=MAX_TOKENS).contains(&n) {
        return Err(ApiError::param("required_token_count must be 1 to 5"));
    }
    let fails = call.app.hub.undelivered_users();
    let infos: Vec<_> = (0..n)
        .map(|_| json!({"connectionToken": w.issue_conn_token(call.now_ms), "userSendFailCount": fails, "commentSendFailCount": "0"}))
        .collect();
    Ok(Some(
        json!({"token_infos": infos, "appkey": w.app_id, "imSecret": w.im_secret}),
    ))
}
