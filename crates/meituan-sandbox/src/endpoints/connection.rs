//! `getConnectionToken` and `getConnectionTokenWithCount` (§4.1, §4.2).

use serde_json::json;

use crate::config::PushScope;
use crate::envelope::{ApiError, ApiResult};
use crate::gateway::{biz::Biz, Call};
use crate::state::{TokenApi, World};

/// Most tokens one `getConnectionTokenWithCount` call hands out.
const MAX_TOKENS: i64 = 5;

/// Whose connection a token call grants: the developer's, or (store scope) the store's whose
/// token came with the call (the gateway requires one then).
fn grantee(call: &Call<'_>, w: &World) -> Result<Option<usize>, ApiError> {
    match w.push_scope {
        PushScope::Developer => Ok(None),
        PushScope::Store => call.store().map(Some),
    }
}

fn epoi(w: &World, store: Option<usize>) -> Option<String> {
    store
        .and_then(|s| w.stores.get(s))
        .map(|s| s.epoi_id.clone())
}

pub(super) fn token(call: &Call<'_>, w: &mut World) -> ApiResult {
    Biz::nothing(call.biz)?;
    let store = grantee(call, w)?;
    let token = w.issue_conn_token(call.now_ms, TokenApi::Single, store);
    Ok(Some(json!({
        "connectionToken": token,
        "connectionId": w.connection_id(TokenApi::Single, store),
        "imSecret": w.secret_for(store),
        "userCount": call.app.hub.undelivered_users(epoi(w, store).as_deref()),
    })))
}

pub(super) fn tokens_with_count(call: &Call<'_>, w: &mut World) -> ApiResult {
    let biz = Biz::object(call.biz)?;
    let n = biz.req_int("required_token_count")?;
    if !(1..=MAX_TOKENS).contains(&n) {
        return Err(ApiError::param("required_token_count must be 1 to 5"));
    }
    let store = grantee(call, w)?;
    let fails = call.app.hub.undelivered_users(epoi(w, store).as_deref());
    let infos: Vec<_> = (0..n)
        .map(|_| json!({"connectionToken": w.issue_conn_token(call.now_ms, TokenApi::Batch, store), "userSendFailCount": fails, "commentSendFailCount": "0"}))
        .collect();
    Ok(Some(
        json!({"token_infos": infos, "appkey": w.app_id, "imSecret": w.secret_for(store)}),
    ))
}
