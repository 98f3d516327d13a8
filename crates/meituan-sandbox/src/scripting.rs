//! What tests, the demo mode and the control routes can make the platform do or tell.
//! Both the Rust API ([`crate::Sandbox`]) and `/_sandbox/…` call these.

use serde_json::json;

use crate::app::Shared;
use crate::clock;
use crate::error::{Result, SandboxError};
use crate::images;
use crate::model::{
    AutoReplyScene, BlockRecord, CustomerMessage, DropMode, FansState, MerchantMessage, OrderInfo,
    Pushed, ReplyTiming, StoreInfo, UploadInfo,
};
use crate::state::chat;
use crate::state::store::{status, GroupKind};
use crate::state::World;

fn store_of(w: &World, epoi_id: &str) -> Result<usize> {
    w.store_index(epoi_id)
        .ok_or_else(|| SandboxError::UnknownStore(epoi_id.to_string()))
}

impl Shared {
    pub fn store_infos(&self) -> Vec<StoreInfo> {
        let w = self.world();
        w.stores
            .iter()
            .map(|s| StoreInfo {
                epoi_id: s.epoi_id.clone(),
                name: s.name.clone(),
                business_id: s.business_id,
                app_auth_token: s.current_token.clone(),
            })
            .collect()
    }

    pub fn coordinates(&self) -> serde_json::Value {
        let (developer_id, sign_key) = {
            let w = self.world();
            (w.developer_id, w.sign_key.clone())
        };
        json!({
            "gateway_url": self.gateway_url,
            "push_url": self.push_url,
            "developer_id": developer_id,
            "sign_key": sign_key,
            "push_scope": self.config.push_scope,
            "stores": self.store_infos(),
        })
    }

    pub fn customer_says(&self, msg: &CustomerMessage) -> Result<Pushed> {
        let (pushed, item) =
            chat::customer_message(&mut self.world(), msg, clock::now_ms(), &self.gateway_url)?;
        self.publish(item);
        Ok(pushed)
    }

    pub fn customer_reads(&self, epoi_id: &str, open_user_id: i64) -> Result<i64> {
        let mut w = self.world();
        let store = store_of(&w, epoi_id)?;
        let now = clock::now_ms();
        let c = w.stores[store].customers.get_mut(&open_user_id).ok_or(
            SandboxError::UnknownCustomer {
                store: epoi_id.to_string(),
                open_user_id,
            },
        )?;
        c.last_read_time_ms = c.last_read_time_ms.max(now);
        Ok(c.last_read_time_ms)
    }

    pub fn customers(&self, epoi_id: &str) -> Result<Vec<i64>> {
        let w = self.world();
        Ok(w.stores[store_of(&w, epoi_id)?]
            .customers
            .keys()
            .copied()
            .collect())
    }

    pub fn add_customer(&self, epoi_id: &str) -> Result<i64> {
        let mut w = self.world();
        let store = store_of(&w, epoi_id)?;
        Ok(crate::state::gen::new_customer(&mut w, store))
    }

    pub fn comment_ids(&self, epoi_id: &str) -> Result<Vec<i64>> {
        let w = self.world();
        Ok(w.stores[store_of(&w, epoi_id)?]
            .comments
            .iter()
            .map(|c| c.comment_id)
            .collect())
    }

    pub fn order(&self, epoi_id: &str, order_id: i64) -> Result<OrderInfo> {
        let w = self.world();
        let s = &w.stores[store_of(&w, epoi_id)?];
        s.orders
            .get(&order_id)
            .map(|o| o.info())
            .ok_or(SandboxError::UnknownOrder {
                store: epoi_id.to_string(),
                order_id,
            })
    }

    pub fn complete_order(
        &self,
        epoi_id: &str,
        order_id: i64,
        completed_at_ms: i64,
    ) -> Result<OrderInfo> {
        let mut w = self.world();
        let store = store_of(&w, epoi_id)?;
        let o = w.stores[store]
            .orders
            .get_mut(&order_id)
            .ok_or(SandboxError::UnknownOrder {
                store: epoi_id.to_string(),
                order_id,
            })?;
        o.status = status::COMPLETED;
        o.completed_at_ms = Some(completed_at_ms);
        Ok(o.info())
    }

    pub fn blocked(&self, epoi_id: &str) -> Result<Vec<BlockRecord>> {
        let w = self.world();
        Ok(w.stores[store_of(&w, epoi_id)?]
            .blocked
            .values()
            .cloned()
            .collect())
    }

    pub fn im_status(&self, epoi_id: &str) -> Result<bool> {
        let w = self.world();
        Ok(w.stores[store_of(&w, epoi_id)?].im_status == 1)
    }

    pub fn script_reply_rates(&self, epoi_id: &str, percents: Option<(f64, f64)>) -> Result<()> {
        let mut w = self.world();
        let store = store_of(&w, epoi_id)?;
        w.stores[store].replies.scripted = percents;
        Ok(())
    }

    pub fn fans(&self, epoi_id: &str) -> Result<FansState> {
        let w = self.world();
        let s = &w.stores[store_of(&w, epoi_id)?];
        let groups = s
            .groups
            .values()
            .filter_map(|g| match &g.kind {
                GroupKind::Fans { name, intro, .. } => {
                    Some((g.group_id, name.clone(), intro.clone()))
                }
                _ => None,
            })
            .collect();
        Ok(FansState {
            allowed: !s.fans.barred,
            groups,
            coupons: s.fans.coupons.iter().map(|c| c.config_id.clone()).collect(),
            activities: s.fans.activities.len(),
            remain: s.fans.remain,
        })
    }

    pub fn set_fans_groups_allowed(&self, epoi_id: &str, allowed: bool) -> Result<()> {
        let mut w = self.world();
        let store = store_of(&w, epoi_id)?;
        w.stores[store].fans.barred = !allowed;
        Ok(())
    }

    pub fn set_coupon_quota(&self, epoi_id: &str, remain: i64) -> Result<()> {
        let mut w = self.world();
        let store = store_of(&w, epoi_id)?;
        w.stores[store].fans.remain = remain;
        Ok(())
    }

    pub fn set_im_status(&self, epoi_id: &str, on: bool) -> Result<()> {
        let mut w = self.world();
        let store = store_of(&w, epoi_id)?;
        w.stores[store].im_status = i32::from(on);
        Ok(())
    }

    pub fn auto_replies(&self, epoi_id: &str) -> Result<Vec<AutoReplyScene>> {
        let w = self.world();
        Ok(w.stores[store_of(&w, epoi_id)?]
            .autosend
            .iter()
            .map(|a| AutoReplyScene {
                scene: a.scene,
                name: a.name.clone(),
                content: a.content.clone(),
                on: a.status == 1,
            })
            .collect())
    }

    pub fn merchant_messages(&self, epoi_id: &str) -> Result<Vec<MerchantMessage>> {
        let w = self.world();
        Ok(w.stores[store_of(&w, epoi_id)?].merchant_msgs.clone())
    }

    pub fn uploads(&self, epoi_id: &str) -> Result<Vec<UploadInfo>> {
        let w = self.world();
        let s = &w.stores[store_of(&w, epoi_id)?];
        Ok(s.uploads
            .iter()
            .map(|(code, u)| UploadInfo {
                epoi_id: s.epoi_id.clone(),
                pic_code: code.clone(),
                pic_url: format!(
                    "{}{}",
                    self.gateway_url,
                    images::upload_path(code, u.format.extension())
                ),
                img_name: u.img_name.clone(),
                pic_type: u.pic_type,
                content_type: u.format.content_type().to_string(),
                size: u.bytes.len(),
                uploaded_at_ms: u.uploaded_at_ms,
            })
            .collect())
    }

    /// The bytes and content type served at `/img/up/{file}`, if an upload has that name.
    pub fn uploaded_picture(&self, file: &str) -> Option<(&'static str, axum::body::Bytes)> {
        let (code, ext) = file.split_once('.')?;
        let w = self.world();
        w.stores.iter().find_map(|s| {
            s.uploads
                .get(code)
                .filter(|u| u.format.extension() == ext)
                .map(|u| (u.format.content_type(), u.bytes.clone()))
        })
    }

    pub fn reply_timings(&self, epoi_id: &str) -> Result<Vec<ReplyTiming>> {
        let w = self.world();
        Ok(w.stores[store_of(&w, epoi_id)?].replies.timings.clone())
    }

    pub fn rotate_im_secret(&self) -> String {
        let secret = {
            let mut w = self.world();
            w.rotate_secret();
            w.im_secret.clone()
        };
        // Connections opened under the old secret end, so clients fetch a token and the new key.
        self.hub.drop_all(DropMode::Reset);
        secret
    }

    pub fn expire_store_tokens(&self, epoi_id: &str) -> Result<()> {
        let mut w = self.world();
        let store = store_of(&w, epoi_id)?;
        w.expire_tokens_of(store, clock::now_ms());
        Ok(())
    }

    pub fn expire_connection_tokens(&self) {
        let mut w = self.world();
        for t in w.conn_tokens.values_mut() {
            t.expires_at_ms = 0;
        }
    }

    pub fn mint_auth_code(&self, epoi_id: &str) -> Result<String> {
        let mut w = self.world();
        let store = store_of(&w, epoi_id)?;
        let code = format!("code-{}", w.random_token());
        w.auth_codes.insert(code.clone(), store);
        Ok(code)
    }

    pub fn im_secret(&self) -> String {
        self.world().im_secret.clone()
    }

    pub fn store_im_secret(&self, epoi_id: &str) -> Result<String> {
        let w = self.world();
        let store = store_of(&w, epoi_id)?;
        Ok(w.secret_for(Some(store)).to_owned())
    }
}
