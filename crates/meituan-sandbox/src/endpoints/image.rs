//! `image/uploadNoWater` (§5.5, businessId 16): the checks and the answer live in
//! [`crate::images`]; this handler stores the picture under the caller's store.

use serde_json::json;

use crate::envelope::{ApiError, ApiResult};
use crate::gateway::{biz::Biz, Call};
use crate::images::{self, upload};
use crate::state::World;

pub(super) fn upload(call: &Call<'_>, w: &mut World) -> ApiResult {
    let store = call.store()?;
    let biz = Biz::object(call.biz)?;
    let img_name = biz.req_str("img_name")?;
    let img = biz.req_str("img")?;
    let pic_type = biz.req_int("pic_type")?;
    let (format, bytes) = upload::check(img_name, img, pic_type).map_err(ApiError::param)?;
    let pic_code = w.random_token();
    let pic_url = format!(
        "{}{}",
        call.app.gateway_url,
        images::upload_path(&pic_code, format.extension())
    );
    w.stores[store].uploads.insert(
        pic_code.clone(),
        upload::Upload {
            img_name: img_name.to_string(),
            pic_type,
            format,
            bytes,
            uploaded_at_ms: call.now_ms,
        },
    );
    Ok(Some(json!({"pic_code": pic_code, "pic_url": pic_url})))
}
